/** A path input with a "Browse…" button that opens the app's file picker for it. */
import { usePicker } from '../stores/picker-store.ts';

/** A labelled path field; typing stays possible, browsing fills it in. */
export function PathField({
  id,
  label,
  value,
  onChange,
  kind,
  hint,
  placeholder,
  invalid,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  kind: 'file' | 'folder';
  hint?: string;
  placeholder?: string;
  /** Why the value cannot be used: marks the input invalid and shows the reason beside it. */
  invalid?: string | undefined;
}) {
  const open = usePicker((s) => s.open);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="path-row">
        <input
          id={id}
          type="text"
          spellCheck={false}
          value={value}
          placeholder={placeholder}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={[invalid ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ') || undefined}
          onChange={(e) => onChange(e.target.value)}
        />
        {/* Read out as "Browse… for <label>", so each button is told apart; the hidden words never label the input itself. */}
        <button type="button" onClick={() => void open({ title: label, kind, start: value, choose: onChange })}>
          Browse…<span className="visually-hidden"> for {label}</span>
        </button>
      </div>
      {invalid && (
        <p id={`${id}-error`} className="field-error">
          {invalid}
        </p>
      )}
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}
