/**
 * "Save report" and "Print" (issue 17: an officer files what was checked).
 * Save writes a self-contained HTML report (report-html.ts) into the folder
 * picked with the app's picker; in browser mode the same file can also be
 * downloaded. Print opens the browser's print, which the print stylesheet
 * (inspector.css) turns into the report without navigation or buttons.
 */
import { useInspector } from '../stores/inspector-store.ts';
import { reportHtml, type ReportInput } from '../report-html.ts';
import { ErrorNotice } from './ErrorNotice.tsx';
import { PathField } from './PathField.tsx';

/** Offers a download of `text` as `name` (browser mode: the page cannot write files itself). */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/html;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The report's actions; `build` gathers what the screen shows when a button is pressed. */
export function ReportActions({ build, fileName }: { build: () => ReportInput; fileName: string }) {
  const { reportFolder, setReportFolder, saveReport, saving, savedReport, reportError, mode } = useInspector();
  return (
    <section className="report-actions" aria-labelledby="report-heading">
      <h3 id="report-heading">Report</h3>
      <p className="hint">Save what this screen shows (verification, images with full digests, layers and labels, signatures) as one HTML file, or print it.</p>
      <PathField id="report-folder" label="Folder to save the report in" kind="folder" value={reportFolder} onChange={setReportFolder} />
      <div className="actions">
        <button type="button" disabled={saving} onClick={() => void saveReport(fileName, reportHtml(build()))}>
          Save report
        </button>
        {mode === 'browser' && (
          <button type="button" onClick={() => download(fileName, reportHtml(build()))}>
            Download report
          </button>
        )}
        <button type="button" onClick={() => window.print()}>
          Print
        </button>
      </div>
      {savedReport && (
        <p role="status" className="notice notice-ok">
          Report saved to <span className="mono">{savedReport}</span>.
        </p>
      )}
      <ErrorNotice error={reportError} />
    </section>
  );
}
