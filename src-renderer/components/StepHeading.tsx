/** A wizard's step list and the current step's heading, focused on each step change for keyboard and screen-reader users. */
import { useEffect, useRef } from 'react';

/** The ordered steps with the current one marked, then the step's `h2`. */
export function StepHeading({ steps, current, title }: { steps: readonly string[]; current: number; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, [title]);
  return (
    <>
      <ol className="steps" aria-label="Steps">
        {steps.map((step, index) => (
          <li key={step} aria-current={index === current ? 'step' : undefined} className={index === current ? 'current' : index < current ? 'past' : ''}>
            {step}
          </li>
        ))}
      </ol>
      <h2 ref={ref} tabIndex={-1}>
        Step {current + 1} of {steps.length}: {title}
      </h2>
    </>
  );
}
