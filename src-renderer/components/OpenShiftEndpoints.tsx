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

/** The export wizard's optional OpenShift endpoint fields. */
export function OpenShiftEndpoints({ values, onChange }: { values: OpenShiftEndpointValues; onChange: (patch: Partial<OpenShiftEndpointValues>) => void }) {
  return (
    <details className="field" open={values.updateService !== '' || values.signatureStore !== ''}>
      <summary>OpenShift update service and signature store (optional)</summary>
      <div className="field">
        <label htmlFor="update-service">Update service graph URL</label>
        <input
          id="update-service"
          type="url"
          spellCheck={false}
          placeholder="https://api.openshift.com/api/upgrades_info/v1/graph"
          value={values.updateService}
          aria-describedby="update-service-hint"
          onChange={(e) => onChange({ updateService: e.target.value })}
        />
        <p id="update-service-hint" className="hint">
          Where release channels (platform.channels) are resolved; empty uses the public service, as ferry export --update-service.
        </p>
      </div>
      <div className="field">
        <label htmlFor="signature-store">Release signature store URL</label>
        <input
          id="signature-store"
          type="url"
          spellCheck={false}
          placeholder="https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release"
          value={values.signatureStore}
          aria-describedby="signature-store-hint"
          onChange={(e) => onChange({ signatureStore: e.target.value })}
        />
        <p id="signature-store-hint" className="hint">
          Where each release&apos;s signatures are fetched to carry them; empty uses Red Hat&apos;s store, as ferry export --signature-store.
        </p>
      </div>
    </details>
  );
}
