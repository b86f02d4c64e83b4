'use strict';

// The dashboard. One event stream ("events", relative like every URL here, so that the page works
// under a proxy's path prefix) brings the figures of the webui's one Redis poll every second; the
// first event also brings the speed history, so the chart is full from the start, and the page's timings
// (page.historySeconds, page.silentAfterMs, page.reconnectMs): the webui sets them once, for every page.
(function () {

  const byId = (id) => document.getElementById(id);
  const whole = new Intl.NumberFormat('en-US');
  const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  let stream = null;
  let chart = null;
  let points = [];               // {t: epoch seconds, speed: hashes/second or null while Redis is unreachable}
  let latest = null;
  let lastEventAt = Date.now();
  let lostAt = null;             // when a refused stream was given up, until the next connect()
  let page = null;               // the webui's timings, from the first event
  const workerRows = new Map();  // worker id → its <li>

  function connect() {
    lostAt = null;
    stream = new EventSource('events');
    stream.onmessage = (event) => show(JSON.parse(event.data));
    stream.onerror = () => {
      // A refused stream (the webui restarting, a proxy's 502) is not retried by EventSource itself.
      // showState reconnects it after page.reconnectMs, or at its next tick before the webui has said.
      if (stream.readyState === EventSource.CLOSED) {
        lostAt = Date.now();
      }
    };
  }

  function show(data) {
    lastEventAt = Date.now();
    latest = data;
    if (data.page) {
      page = data.page;
      setHistorySeconds(page.historySeconds);
    }
    if (data.history) {
      points = data.history.map(([t, speed]) => ({ t, speed }));
    } else {
      points.push({ t: data.now, speed: data.speed });
    }
    points = points.filter((point) => point.t > data.now - page.historySeconds);

    const ok = data.redis === 'ok';
    const speed = byId('speed').querySelector('.number');
    if (ok && data.speed !== null) {
      speed.textContent = '~' + data.speed.toFixed(1);  // "~X.X hashes/second", as the original said it
    } else if (ok) {
      speed.textContent = '…';
    }
    if (data.hashes !== null) {
      byId('hashes').textContent = whole.format(data.hashes);
      byId('coins').textContent = whole.format(data.coins);
      byId('workers-active').textContent = whole.format(data.workers.length);
      showWorkers(data.workers, data.otherWorkers.speed, data.history !== undefined);
      showVersions(data.versions);
    }
    drawChart(data.now);
    showState();
  }

  function showWorkers(workers, otherSpeed, firstEvent) {
    const list = byId('workers');
    const fastest = Math.max(0.1, otherSpeed || 0, ...workers.map((worker) => worker.speed || 0));
    const present = new Set(workers.map((worker) => worker.id));
    for (const [id, row] of workerRows) {
      if (!present.has(id)) {  // stopped reporting: scaled down, or gone
        row.remove();
        workerRows.delete(id);
      }
    }
    workers.forEach((worker, position) => {
      let row = workerRows.get(worker.id);
      if (!row) {
        row = newWorkerRow(worker.id, !firstEvent);  // scaled in while we watch: make it seen
        workerRows.set(worker.id, row);
      }
      // During `kubectl set image deploy/worker …` old and new versions mine side by side.
      row.querySelector('.worker-version').textContent = worker.version || '';
      row.querySelector('.worker-speed').textContent =
        worker.speed === null ? 'starting…' : worker.speed.toFixed(1) + ' hashes/s';
      row.querySelector('.worker-fill').style.width = (100 * (worker.speed || 0) / fastest).toFixed(1) + '%';
      // In the server's order (by id), so rows never jump around; a row already in place is left alone.
      if (list.children[position] !== row) {
        list.insertBefore(row, list.children[position] || null);
      }
    });
    // The original's workers write only `hashes`: what the per-worker speeds leave of the speed is theirs.
    const others = byId('other-workers');
    others.hidden = !(otherSpeed >= 0.05);
    if (!others.hidden) {
      others.querySelector('.worker-speed').textContent = otherSpeed.toFixed(1) + ' hashes/s';
      others.querySelector('.worker-fill').style.width = (100 * otherSpeed / fastest).toFixed(1) + '%';
    }
    byId('no-workers').hidden = workers.length > 0 || !others.hidden;
  }

  // "1.0.0: 4 workers, 13.3 hashes/s · 1.1.0: 1 worker, 3.3 hashes/s", so that a canary shows beside the stable ones.
  function showVersions(versions) {
    const line = byId('versions');
    line.hidden = versions.length === 0;
    line.textContent = versions.map((version) => (version.version || 'unknown version') + ': ' + version.workers +
      (version.workers === 1 ? ' worker, ' : ' workers, ') +
      (version.speed === null ? 'starting…' : version.speed.toFixed(1) + ' hashes/s')).join(' · ');
  }

  function newWorkerRow(id, highlight) {
    const row = document.createElement('li');
    row.className = highlight ? 'worker new' : 'worker';
    row.addEventListener('animationend', () => row.classList.remove('new'));
    row.dataset.id = id;
    const name = document.createElement('span');
    name.className = 'worker-id';
    name.textContent = id;
    name.title = id;
    const version = document.createElement('span');
    version.className = 'worker-version';
    const speed = document.createElement('span');
    speed.className = 'worker-speed';
    const bar = document.createElement('span');
    bar.className = 'worker-bar';
    const fill = document.createElement('span');
    fill.className = 'worker-fill';
    bar.appendChild(fill);
    row.append(name, version, speed, bar);
    return row;
  }

  // The chart's span, in its heading and its label, as the webui keeps it.
  function setHistorySeconds(seconds) {
    byId('history-seconds').textContent = seconds;
    byId('chart').setAttribute('aria-label', 'Hashes per second over the last ' + seconds + ' seconds');
  }

  function drawChart(now) {
    const data = points.map((point) => ({ x: point.t - now, y: point.speed }));
    if (chart) {
      chart.data.datasets[0].data = data;
      chart.update('none');
      return;
    }
    Chart.defaults.font.size = 16;
    Chart.defaults.color = '#5a6a7a';
    chart = new Chart(byId('chart'), {
      type: 'line',
      data: {
        datasets: [{
          data,
          borderColor: '#1d63ed',
          backgroundColor: 'rgba(29, 99, 237, 0.15)',
          borderWidth: 3,
          fill: 'origin',
          pointRadius: 0,
          tension: 0.2,
          spanGaps: false,  // Redis unreachable shows as a gap, not as a line through the unknown
        }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: {
          x: {
            type: 'linear',
            min: -page.historySeconds,
            max: 0,
            ticks: {
              stepSize: 60,
              includeBounds: false,
              callback: (seconds) => (seconds === 0 ? 'now' : -seconds / 60 + ' min ago'),
            },
          },
          y: {
            beginAtZero: true,
            suggestedMax: 1,
            title: { display: true, text: 'hashes/second' },
          },
        },
      },
    });
  }

  // Says, in words, whether the figures are live; runs on every event and every second in between.
  function showState() {
    const state = byId('state');
    const alert = byId('alert');
    if (lostAt !== null && (page === null || Date.now() - lostAt >= page.reconnectMs)) {
      connect();
    }
    const silentFor = Date.now() - lastEventAt;
    let problem = null;
    if (page !== null && silentFor > page.silentAfterMs) {
      problem = 'No news from the webui since ' + clock.format(lastEventAt) + ' (' + duration(silentFor) +
        '). Reconnecting…';
      setState(state, 'down', 'webui not answering');
    } else if (latest === null || latest.redis === 'connecting') {
      setState(state, 'connecting', 'connecting…');
    } else if (latest.redis === 'bad-data') {
      problem = 'Redis holds data DockerCoins did not write: ' + latest.redisProblem + '. The figures are the last ' +
        'good ones; the webui reads again every second.';
      setState(state, 'down', 'bad data in Redis');
    } else if (latest.redis !== 'ok') {
      const sinceMs = latest.redisSince * 1000;
      problem = 'Redis is unreachable since ' + clock.format(sinceMs) + ' (' + duration(latest.now * 1000 - sinceMs) +
        '). The figures are the last ones read; the webui retries every second.';
      setState(state, 'down', 'Redis unreachable');
    } else {
      setState(state, 'live', 'live');
    }
    alert.textContent = problem || '';
    alert.hidden = problem === null;
    document.body.classList.toggle('stale', problem !== null);
  }

  function setState(element, kind, text) {
    element.className = 'state ' + kind;
    element.textContent = text;
  }

  function duration(ms) {
    const seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 120) {
      return seconds + ' s';
    }
    const minutes = Math.floor(seconds / 60);
    return minutes < 120 ? minutes + ' min' : Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  }

  connect();
  setInterval(showState, 1000);
}());
