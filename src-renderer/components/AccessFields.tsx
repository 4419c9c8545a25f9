/** Registry access fields shared by both wizards: plain HTTP, TLS verification, CA, auth file, user name and password. */
import type { AccessForm } from '../stores/export-store.ts';
import { ACCESS_LABELS } from '../field-labels.ts';
import { PathField } from './PathField.tsx';

/** A fieldset of registry access options, each with its own label. */
export function AccessFields({
  legend,
  access,
  onChange,
  idPrefix,
  prefilledFrom,
}: {
  legend: string;
  access: AccessForm;
  onChange: (patch: Partial<AccessForm>) => void;
  idPrefix: string;
  prefilledFrom?: string | null;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {prefilledFrom && (
        <p role="status" className="hint">
          Filled in from Settings for <span className="mono">{prefilledFrom}</span>.
        </p>
      )}
      <div className="check">
        <input id={`${idPrefix}-plain`} type="checkbox" checked={access.plainHttp} onChange={(e) => onChange({ plainHttp: e.target.checked })} />
        <label htmlFor={`${idPrefix}-plain`}>{ACCESS_LABELS.plainHttp}</label>
      </div>
      <div className="check">
        <input id={`${idPrefix}-tls`} type="checkbox" checked={access.tlsVerify} onChange={(e) => onChange({ tlsVerify: e.target.checked })} />
        <label htmlFor={`${idPrefix}-tls`}>{ACCESS_LABELS.tlsVerify}</label>
      </div>
      <div className="row">
        <PathField id={`${idPrefix}-ca`} label={ACCESS_LABELS.caCertFile} kind="file" value={access.caCertFile} onChange={(caCertFile) => onChange({ caCertFile })} />
        <PathField id={`${idPrefix}-auth`} label={ACCESS_LABELS.authFile} kind="file" value={access.authFile} onChange={(authFile) => onChange({ authFile })} />
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={`${idPrefix}-user`}>{ACCESS_LABELS.username}</label>
          <input id={`${idPrefix}-user`} type="text" autoComplete="username" value={access.username} onChange={(e) => onChange({ username: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`${idPrefix}-password`}>{ACCESS_LABELS.password}</label>
          <input id={`${idPrefix}-password`} type="password" autoComplete="current-password" value={access.password} onChange={(e) => onChange({ password: e.target.value })} />
        </div>
      </div>
    </fieldset>
  );
}
