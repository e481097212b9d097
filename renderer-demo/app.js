// @ts-check
/**
 * The demo window. Everything it knows and does goes through `window.demo`
 * (Electron's preload, or web-bridge.js under the web host): figures
 * arrive twice a second, the preview is asked for once per displayed
 * frame, and the controls are single calls.
 */
'use strict';

(() => {
  /** @typedef {import('../main/demo/bridge-api').DemoStats} DemoStats */
  /** @typedef {import('../main/demo/bridge-api').AnalyzerStats} AnalyzerStats */
  /** @typedef {import('../main/demo/bridge-api').Preview} Preview */

  const demo = window.demo;

  /**
   * @template {HTMLElement} T
   * @param {string} selector
   * @param {new () => T} type
   * @returns {T}
   */
  function element(selector, type) {
    const found = document.querySelector(selector);
    if (!(found instanceof type)) throw new Error(`The page has no ${selector}`);
    return found;
  }

  const canvas = element('#preview', HTMLCanvasElement);
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const caption = element('#preview-caption', HTMLElement);
  const status = element('#status', HTMLElement);
  const hostKind = element('#host-kind', HTMLElement);
  const producerLine = element('#producer', HTMLElement);
  const analyzerRows = element('#analyzers tbody', HTMLElement);
  const resolution = element('#resolution', HTMLSelectElement);
  const fps = element('#fps', HTMLSelectElement);
  const pause = element('#pause', HTMLButtonElement);
  let paused = false;

  /** @param {unknown} error */
  function report(error) {
    status.textContent = error instanceof Error ? error.message : String(error);
  }

  /**
   * Runs a control's call, and says so in the window if it fails.
   * @param {() => Promise<unknown>} call
   */
  function control(call) {
    status.textContent = '';
    call().catch(report);
  }

  /**
   * @param {number | null} value
   * @param {number} [digits]
   */
  function format(value, digits = 0) {
    return value === null ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  /**
   * Shows a number, and keeps it unrounded in data-value for whoever reads the page.
   * @param {HTMLElement} target
   * @param {number | null} value
   * @param {number} [digits]
   */
  function showNumber(target, value, digits = 0) {
    target.textContent = format(value, digits);
    target.dataset['value'] = value === null ? '' : String(value);
  }

  /** @param {DemoStats} stats */
  function showFigures(stats) {
    /** @type {Record<string, [number | null, number]>} */
    const figures = {
      producedPerSecond: [stats.totals.producedPerSecond, 1],
      consumedPerSecond: [stats.totals.consumedPerSecond, 1],
      latencyMedianUs: [stats.totals.latencyMedianUs, 0],
      latencyP99Us: [stats.totals.latencyP99Us, 0],
      dropped: [stats.totals.dropped, 0],
      integrityErrors: [stats.totals.integrityErrors, 0],
      sharedMBPerSecond: [stats.totals.sharedMBPerSecond, 1],
      previewMBPerSecond: [stats.totals.previewMBPerSecond, 1],
      previewsPerSecond: [stats.totals.previewsPerSecond, 1],
      produced: [stats.producer.produced, 0],
      frameBytes: [stats.settings.frameBytes / 1e6, 1],
    };
    for (const target of document.querySelectorAll('[data-figure]')) {
      const figure = figures[/** @type {HTMLElement} */ (target).dataset['figure'] ?? ''];
      if (figure) showNumber(/** @type {HTMLElement} */ (target), ...figure);
    }
  }

  /** @param {DemoStats} stats */
  function showSettings(stats) {
    const { settings } = stats;
    hostKind.textContent =
      settings.processKind === 'utility'
        ? 'Electron: the producer and the analyzers are utility processes.'
        : 'Web host: the same main-process code under Node; the producer and the analyzers are Node child processes (no Electron binary here).';
    if (document.activeElement !== resolution) resolution.value = settings.resolution;
    if (document.activeElement !== fps) fps.value = String(settings.fps);
    paused = settings.paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.dataset['paused'] = String(paused);
  }

  /** @param {DemoStats} stats */
  function showProducer(stats) {
    const { producer, settings } = stats;
    const source = settings.source === 'video' ? 'decoding a video file with ffmpeg' : 'drawing the test pattern';
    let line = `Producer: pid ${producer.pid ?? '–'}, ${producer.state}, ${source} at ${settings.width} × ${settings.height}, ${settings.fps} fps${settings.paused ? ', paused' : ''}; ${format(producer.produced)} frames sent`;
    if (producer.stalls > 0) line += `, ${format(producer.stalls)} ticks with no free slot`;
    if (producer.endReason) line += `. ${producer.endReason}`;
    producerLine.textContent = line;
    producerLine.dataset['state'] = producer.state;
    producerLine.dataset['pid'] = String(producer.pid ?? '');
  }

  /**
   * @param {string} field
   * @param {number | string | null} value
   * @param {number} [digits]
   */
  function cell(field, value, digits = 0) {
    const td = document.createElement('td');
    td.dataset['field'] = field;
    if (typeof value === 'string') td.textContent = value;
    else showNumber(td, value, digits);
    return td;
  }

  /** @param {number[]} histogram */
  function histogramCell(histogram) {
    const td = document.createElement('td');
    const bars = document.createElement('div');
    bars.className = 'histogram';
    const highest = Math.max(...histogram, 1e-9);
    for (const share of histogram) {
      const bar = document.createElement('span');
      bar.style.height = `${(100 * share) / highest}%`;
      bars.append(bar);
    }
    td.append(bars);
    return td;
  }

  /** @param {AnalyzerStats} analyzer */
  function analyzerRow(analyzer) {
    const row = document.createElement('tr');
    row.dataset['analyzerId'] = String(analyzer.id);
    row.dataset['pid'] = String(analyzer.pid ?? '');
    row.dataset['state'] = analyzer.state;
    const state = analyzer.endReason ? `${analyzer.state}: ${analyzer.endReason}` : analyzer.state;
    const integrity = cell('integrityErrors', analyzer.integrityErrors);
    if (analyzer.lastIntegrityError) integrity.title = analyzer.lastIntegrityError;
    row.append(
      cell('id', `#${analyzer.id}`),
      cell('pid', String(analyzer.pid ?? '–')),
      cell('state', state),
      cell('size', analyzer.width ? `${analyzer.width} × ${analyzer.height}` : '–'),
      cell('received', analyzer.received),
      cell('receivedPerSecond', analyzer.receivedPerSecond, 1),
      cell('skipped', analyzer.skipped),
      cell('checked', analyzer.checked),
      integrity,
      cell('latency', `${format(analyzer.latencyMedianUs)} / ${format(analyzer.latencyP99Us)} µs`),
      cell('motion', analyzer.motion * 100, 1),
      histogramCell(analyzer.histogram),
    );
    return row;
  }

  /** @param {DemoStats} stats */
  function show(stats) {
    showSettings(stats);
    showFigures(stats);
    showProducer(stats);
    analyzerRows.replaceChildren(...stats.analyzers.map(analyzerRow));
  }

  /** @param {Preview} preview */
  function drawPreview(preview) {
    if (canvas.width !== preview.width || canvas.height !== preview.height) {
      canvas.width = preview.width;
      canvas.height = preview.height;
    }
    const pixels = new Uint8ClampedArray(/** @type {ArrayBuffer} */ (preview.pixels.buffer), preview.pixels.byteOffset, preview.pixels.byteLength);
    context.putImageData(new ImageData(pixels, preview.width, preview.height), 0, 0);
    const what = preview.source === 'video' ? 'video frame' : 'test pattern frame';
    caption.textContent = `${what} ${preview.frameNumber} · preview ${preview.width} × ${preview.height} (a copy)`;
    caption.dataset['frameNumber'] = String(preview.frameNumber);
  }

  /** Asks for a preview once per displayed frame: the display sets the pace. */
  async function previewLoop() {
    for (;;) {
      const preview = await demo.nextPreview();
      if (preview) drawPreview(preview);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  resolution.addEventListener('change', () => control(() => demo.setResolution(/** @type {any} */ (resolution.value))));
  fps.addEventListener('change', () => control(() => demo.setFps(Number(fps.value))));
  pause.addEventListener('click', () => control(() => demo.setPaused(!paused)));
  element('#add-analyzer', HTMLButtonElement).addEventListener('click', () => control(() => demo.addAnalyzer()));
  element('#remove-analyzer', HTMLButtonElement).addEventListener('click', () => control(() => demo.removeAnalyzer()));

  demo.onStats(show);
  demo.stats().then(show, report);
  previewLoop().catch(report);
})();
