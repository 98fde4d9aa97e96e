/**
 * Print-first styles of the evidence report. The standalone report file embeds this in a
 * <style> element (it is a downloaded file, not a console page, so the console's CSP does not
 * apply to it); the console serves the same file as a download. hono/jsx escapes text, so this
 * CSS avoids the characters it would escape (angle brackets, ampersand, quotes).
 */
export const REPORT_CSS = `
:root { color-scheme: light; }
body { font: 10.5pt/1.4 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: #111; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 18pt; margin: 0 0 4px; }
h2 { font-size: 13pt; border-bottom: 2px solid #333; padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 11pt; margin: 16px 0 4px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; word-break: break-word; background: #f6f6f6; border: 1px solid #ddd; padding: 6px; font-size: 8.5pt; max-height: none; }
code { font-size: 9pt; word-break: break-all; }
.meta td:first-child { width: 14em; font-weight: 600; }
.state { display: inline-block; min-width: 4.5em; text-align: center; border-radius: 3px; padding: 0 4px; font-weight: 600; border: 1px solid #888; }
.state-green { background: #d9f2d9; color: #0b5d0b; border-color: #0b5d0b; }
.state-amber { background: #fff0c2; color: #7a5200; border-color: #7a5200; }
.state-red { background: #ffd6d6; color: #8b0000; border-color: #8b0000; }
.state-grey { background: #eee; color: #444; border-color: #777; }
.control { break-inside: avoid; page-break-inside: avoid; border: 1px solid #ccc; padding: 6px 10px; margin: 10px 0; }
.muted { color: #555; }
.ok { color: #0b5d0b; font-weight: 600; }
.bad { color: #8b0000; font-weight: 600; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, .control { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;
