/**
 * The two OpenShift endpoints an image set with release channels reads on the
 * connected side (`--update-service`, `--signature-store` in the CLI), folded
 * away because most exports never need them: empty means the public services.
 */

/** The values the fields edit; empty strings mean "the default". */
export interface OpenShiftEndpointValues {
  updateService: string;
  signatureStore: string;
}

/** One URL field with its hint; the placeholder shows the default it stands for. */
function UrlField({ id, label, value, placeholder, hint, onChange }: { id: string; label: string; value: string; placeholder: string; hint: string; onChange: (value: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="url" spellCheck={false} placeholder={placeholder} value={value} aria-describedby={`${id}-hint`} onChange={(e) => onChange(e.target.value)} />
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
    </div>
  );
}

/** The export wizard's optional OpenShift endpoint fields. */
export function OpenShiftEndpoints({ values, onChange }: { values: OpenShiftEndpointValues; onChange: (patch: Partial<OpenShiftEndpointValues>) => void }) {
  return (
    <details className="field" open={values.updateService !== '' || values.signatureStore !== ''}>
      <summary>OpenShift update service and signature store (optional)</summary>
      <UrlField
        id="update-service"
        label="Update service graph URL"
        placeholder="https://api.openshift.com/api/upgrades_info/v1/graph"
        value={values.updateService}
        hint="Where release channels (platform.channels) are resolved; empty uses the public service, as ferry export --update-service."
        onChange={(updateService) => onChange({ updateService })}
      />
      <UrlField
        id="signature-store"
        label="Release signature store URL"
        placeholder="https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release"
        value={values.signatureStore}
        hint="Where each release's signatures are fetched to carry them; empty uses Red Hat's store, as ferry export --signature-store."
        onChange={(signatureStore) => onChange({ signatureStore })}
      />
    </details>
  );
}
