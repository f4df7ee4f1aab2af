/**
 * The panel's styles, all inside its shadow root: `:host { all: initial }` cuts off everything
 * the page's CSS would pass down, and nothing here can reach the page.
 */
import uplotCss from 'uplot/dist/uPlot.min.css';

const PANEL_CSS = `
:host { all: initial; position: fixed; right: 12px; bottom: 12px; z-index: 2147483647; }
:host([data-docked="false"]) { position: static; }
.panel { box-sizing: border-box; width: 680px; max-height: calc(100vh - 24px); overflow: auto; background: #fff; color: #1a1a1a;
  font: 12px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; border: 1px solid #9e9e9e; border-radius: 6px;
  box-shadow: 0 4px 18px rgba(0,0,0,0.25); }
header { display: flex; align-items: center; gap: 8px; padding: 6px 10px; background: #263238; color: #fff; border-radius: 6px 6px 0 0; }
header h1 { font-size: 13px; margin: 0; font-weight: 600; flex: 1; }
header select, header button { font: inherit; }
.body { padding: 8px 10px; }
.collapsed .body { display: none; }
/* Docked, the panel hangs from the bottom of the window: with a height that followed its tables,
   every re-render would move the buttons under the user's pointer. Its height is fixed instead,
   and the tables scroll inside it. */
:host(:not([data-docked="false"])) .panel:not(.collapsed) { height: min(720px, calc(100vh - 24px)); }
.figures { display: grid; grid-template-columns: repeat(5, 1fr); gap: 6px; margin-bottom: 6px; }
.figure { background: #f5f5f5; border-radius: 4px; padding: 4px 6px; }
.figure .label { color: #616161; font-size: 11px; }
.figure .value { font-size: 14px; font-weight: 600; font-variant-numeric: tabular-nums; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 6px 0; }
.controls input[type=text] { flex: 1; min-width: 140px; font: inherit; padding: 2px 4px; }
.controls select, .controls button { font: inherit; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 2px 6px; border-bottom: 1px solid #eee; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; word-break: break-all; }
th { background: #fafafa; font-weight: 600; position: sticky; top: 0; }
td.plus { color: #b71c1c; } td.minus { color: #1b5e20; }
h2 { font-size: 12px; margin: 10px 0 4px; }
.error { color: #b71c1c; min-height: 1em; }
.note { color: #616161; }
.uplot { width: 100% !important; }
`;

/** The whole stylesheet of the shadow root. */
export const STYLES = uplotCss + PANEL_CSS;
