// Gazetteer suggestions as someone types an address (cases.places): any
// <input (or <textarea) data-places-suggest="URL" data-places-uprn="ID"> asks Lantern's own place table (POST, so
// what was typed is never in a URL; nothing is sent anywhere else and nothing is kept in the
// browser) after a short pause, lists up to ten places under the box, and choosing one puts its
// UPRN in the field with id ID (and, with data-places-fill, its address in the box itself).
// Changing the box after choosing clears a UPRN this script filled. Without scripts the UPRN field
// is typed by hand, so this is only a help.
const PAUSE_MS = 300
const MIN_CHARS = 3

function csrfToken (input) {
  const form = input.form || document.querySelector('form')
  const field = form && form.querySelector('input[name="csrfmiddlewaretoken"]')
  return field ? field.value : ''
}

function words (place) {
  return place.postcode ? `${place.address}, ${place.postcode}` : place.address
}

function suggestions (input) {
  const uprn = document.getElementById(input.dataset.placesUprn)
  if (!uprn) return
  const list = document.createElement('ul')
  list.id = `${input.id}-places`
  list.className = 'list-group places-suggestions mt-1'
  list.setAttribute('role', 'listbox')
  list.hidden = true
  const status = document.createElement('div')
  status.className = 'visually-hidden'
  status.setAttribute('role', 'status')
  status.setAttribute('aria-live', 'polite')
  input.after(list, status)
  input.setAttribute('role', 'combobox')
  input.setAttribute('aria-autocomplete', 'list')
  input.setAttribute('aria-controls', list.id)
  input.setAttribute('aria-expanded', 'false')

  let timer = null
  let asked = 0
  let chosen = null
  let active = -1

  const close = () => {
    list.hidden = true
    list.replaceChildren()
    input.setAttribute('aria-expanded', 'false')
    input.removeAttribute('aria-activedescendant')
    active = -1
  }

  const choose = (place) => {
    uprn.value = place.uprn
    if ('placesFill' in input.dataset) input.value = words(place)
    chosen = { uprn: place.uprn, text: input.value }
    status.textContent = `Matched to UPRN ${place.uprn}.`
    close()
  }

  const show = (places) => {
    list.replaceChildren()
    active = -1
    places.forEach((place, index) => {
      const option = document.createElement('li')
      option.id = `${list.id}-${index}`
      option.className = 'list-group-item list-group-item-action'
      option.setAttribute('role', 'option')
      option.textContent = words(place)
      const small = document.createElement('small')
      small.className = 'text-body-secondary ms-2'
      small.textContent = `UPRN ${place.uprn}`
      option.append(small)
      // mousedown, not click: the box keeps its focus and the choice is made before blur
      option.addEventListener('mousedown', (event) => {
        event.preventDefault()
        choose(place)
      })
      option.place = place
      list.append(option)
    })
    list.hidden = !places.length
    input.setAttribute('aria-expanded', places.length ? 'true' : 'false')
    status.textContent = places.length ? `${places.length} places found.` : 'No place found.'
  }

  const ask = async () => {
    const q = input.value.trim()
    if (q.length < MIN_CHARS) return close()
    const mine = ++asked
    const body = new URLSearchParams({ q })
    let answer
    try {
      answer = await fetch(input.dataset.placesSuggest, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-CSRFToken': csrfToken(input) },
        body
      })
    } catch {
      return
    }
    if (mine !== asked) return // a later look-up is on its way
    if (answer.status === 429) {
      status.textContent = 'Too many look-ups: wait a minute.'
      return close()
    }
    if (!answer.ok) return close()
    show((await answer.json()).results || [])
  }

  const move = (step) => {
    const options = list.children
    if (!options.length) return
    if (active >= 0) {
      options[active].classList.remove('active')
      options[active].removeAttribute('aria-selected')
    }
    active = (active + step + options.length) % options.length
    options[active].classList.add('active')
    options[active].setAttribute('aria-selected', 'true')
    input.setAttribute('aria-activedescendant', options[active].id)
  }

  input.addEventListener('input', () => {
    if (chosen && input.value !== chosen.text && uprn.value === chosen.uprn) {
      uprn.value = ''
      chosen = null
    }
    window.clearTimeout(timer)
    timer = window.setTimeout(ask, PAUSE_MS)
  })
  input.addEventListener('keydown', (event) => {
    if (list.hidden) return
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      move(event.key === 'ArrowDown' ? 1 : -1)
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault() // choosing, not sending the form
      choose(list.children[active].place)
    } else if (event.key === 'Escape') {
      close()
    }
  })
  input.addEventListener('blur', close)
}

document.querySelectorAll('[data-places-suggest]').forEach(suggestions)
