// The Chat panel of the case page (templates/chat/panel.html): the operator's side of a web chat,
// over the console's socket /ws/helpline/ (helpline/consumers.py). It sends
// {"type": "chat.send", case, text, client_id} and puts on the page the visitor's messages and
// its own, as text (textContent), never HTML. A send whose answer did not come is sent again
// with the same client id after a reconnect, and the server stores it once.

const panel = document.querySelector('[data-chat-case]');
const caseNumber = panel ? panel.dataset.chatCase : null;
const log = document.getElementById('chat-log');
const state = document.getElementById('chat-state');
const composer = document.getElementById('chat-composer');
const text = document.getElementById('chat-text');
const error = document.getElementById('chat-error');

const WHO = { visitor: 'Visitor', operator: 'You', system: 'Lantern' };
const pending = new Map();
let socket = null;
let retryDelay = 1000;
let ended = false;

function clientId() {
  const values = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}

function showError(words) {
  if (!error) {
    return;
  }
  error.textContent = words;
  error.hidden = !words;
}

function addMessage(message) {
  if (!log || log.querySelector(`[data-message-id="${message.id}"]`)) {
    return;
  }
  const item = document.createElement('div');
  item.className = `chat-message chat-message--${message.sender}`;
  item.dataset.messageId = String(message.id);
  const who = document.createElement('span');
  who.className = 'chat-message__who';
  who.textContent = WHO[message.sender] || 'Lantern';
  const body = document.createElement('p');
  body.className = 'chat-message__text';
  body.textContent = message.text;
  item.append(who, body);
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function onFrame(frame) {
  if (frame.case !== caseNumber) {
    return;
  }
  switch (frame.type) {
    case 'chat.message':
    case 'chat.sent':
      pending.delete(frame.message.client_id);
      addMessage(frame.message);
      break;
    case 'chat.refused':
      pending.delete(frame.client_id);
      showError(frame.message);
      break;
    case 'chat.joined':
      state.textContent = 'An operator took the chat.';
      break;
    case 'chat.closed':
      ended = true;
      state.textContent = frame.by === 'visitor' ? 'The visitor left: the chat has ended.' : 'The chat has ended.';
      if (composer) {
        composer.querySelectorAll('textarea, button').forEach((el) => { el.disabled = true; });
      }
      break;
    default:
      break;
  }
}

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${window.location.host}/ws/helpline/`);
  socket.addEventListener('open', () => {
    retryDelay = 1000;
    pending.forEach((words, id) => {
      socket.send(JSON.stringify({ type: 'chat.send', case: caseNumber, text: words, client_id: id }));
    });
  });
  socket.addEventListener('message', (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch (problem) {
      console.warn(problem);
    }
  });
  socket.addEventListener('close', () => {
    if (ended) {
      return;
    }
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  });
}

if (composer) {
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const words = text.value.trim();
    showError('');
    if (!words) {
      showError('Write a message first.');
      return;
    }
    const id = clientId();
    pending.set(id, words);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: 'chat.send', case: caseNumber, text: words, client_id: id }));
    }
    text.value = '';
    text.focus();
  });
  text.addEventListener('keydown', (event) => {
    // canned.js takes Enter while its list is open (and marks the event handled)
    if (event.defaultPrevented) return;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
}

if (caseNumber) {
  connect();
}
