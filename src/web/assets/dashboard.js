// The dashboard's charts. Chart.js (served by the daemon from node_modules as /assets/chart.js, loaded just
// before this file) draws what the page embeds in #dash-charts[data-charts]; every figure is also in the page as
// text (the tables, the heat map), so nothing is lost without scripts.
(() => {
  const root = document.getElementById('dash-charts');
  const Chart = globalThis.Chart;
  if (!root || !Chart) return;
  const d = JSON.parse(root.dataset.charts);
  const accent = '#2f6fed';
  const grey = '#a3acbd';
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#667085';
  Chart.defaults.animation = false;
  const legend = { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } };
  const grid = { color: '#eef0f4' };

  new Chart(document.getElementById('chart-daily'), {
    type: 'line',
    data: {
      labels: d.daily.labels,
      datasets: [
        {
          label: d.names.current,
          data: d.daily.current,
          borderColor: accent,
          backgroundColor: 'rgba(47, 111, 237, 0.10)',
          fill: true,
          tension: 0,
          pointRadius: 3,
        },
        {
          label: d.names.previous,
          data: d.daily.previous,
          borderColor: grey,
          borderDash: [5, 4],
          pointRadius: 0,
          tension: 0,
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend,
        tooltip: {
          callbacks: {
            // The previous period's point of the same position is another date: say which.
            label: (c) =>
              c.datasetIndex === 1
                ? `${c.dataset.label} (${d.daily.previousLabels[c.dataIndex] ?? ''}): ${c.formattedValue}`
                : `${c.dataset.label}: ${c.formattedValue}`,
          },
        },
      },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, grid }, x: { grid: { display: false } } },
    },
  });

  new Chart(document.getElementById('chart-channels'), {
    type: 'bar',
    data: {
      labels: d.channels.labels,
      datasets: [
        { label: d.names.current, data: d.channels.current, backgroundColor: accent, borderRadius: 4 },
        { label: d.names.previous, data: d.channels.previous, backgroundColor: '#d5dae3', borderRadius: 4 },
      ],
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      plugins: { legend },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 }, grid }, y: { grid: { display: false } } },
    },
  });
  root.dataset.drawn = '1';
})();
