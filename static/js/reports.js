// The snapshot report's charts (templates/reports/snapshot.html). The figures come from the page's
// "report-data" JSON block (not executable, so the strict CSP needs no nonce); every figure is also
// in a table beside its chart. One series per chart, in the Okabe-Ito colour-blind-safe palette, with
// the values written on the axis labels, so no reading depends on colour (UX 33). A suppressed
// count ("<5") is null: not drawn, and the table shows it.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00']

const data = JSON.parse(document.getElementById('report-data').textContent)
const Chart = window.Chart

function labelled (series) {
  return series.labels.map((label, i) => {
    const value = series.values[i]
    return `${label}: ${value === null ? 'under threshold' : value}`
  })
}

function draw (figure) {
  const key = figure.dataset.chart
  const series = data[key]
  if (!series || !Chart) return
  const daily = key === 'by_day'
  const colour = PALETTE[Object.keys(data).indexOf(key) % PALETTE.length]
  figure.hidden = false
  // eslint-disable-next-line no-new
  new Chart(figure.querySelector('canvas'), {
    type: daily ? 'line' : 'bar',
    data: {
      labels: daily ? series.labels : labelled(series),
      datasets: [{
        label: figure.querySelector('canvas').getAttribute('aria-label'),
        data: series.values,
        backgroundColor: colour,
        borderColor: colour,
        pointStyle: 'rectRot',
        pointRadius: daily ? 3 : 0,
        spanGaps: false
      }]
    },
    options: {
      indexAxis: daily ? 'x' : 'y',
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { [daily ? 'y' : 'x']: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  })
}

document.querySelectorAll('[data-chart]').forEach(draw)
