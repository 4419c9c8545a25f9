/**
 * The target step's "Check registry": what the registry can take (the
 * capability table in plain words), which of the bundle's images it cannot
 * take and why, and the options that fix it ("Keep paths at most N levels
 * deep", "Create missing repositories") when the check offers them.
 */
import type { RegistryCheckAnswer, RegistryCheckProblem } from '../../../src-shared/api/contract.ts';
import type { CapabilityState } from '../../../src-shared/model/registry-check.ts';
import { formatCount } from '../../format.ts';
import { checkBlocks, useRegistryCheck } from '../../stores/registry-check-store.ts';

const STATE_WORDS: Record<CapabilityState, string> = { yes: 'Yes', no: 'No', unknown: 'Not known' };

const REASON_WORDS: Record<RegistryCheckProblem['reason'], string> = {
  'path-too-deep': 'Path too deep',
  'media-type-refused': 'Kind of image refused',
  'repository-missing': 'Repository missing',
};

/** The capability table. */
function Capabilities({ answer }: { answer: RegistryCheckAnswer }) {
  return (
    <table className="registry-check">
      <caption>What {answer.report.target} can take</caption>
      <thead>
        <tr>
          <th scope="col">Capability</th>
          <th scope="col">Answer</th>
          <th scope="col">What the registry said</th>
        </tr>
      </thead>
      <tbody>
        {answer.report.rows.map((row) => (
          <tr key={row.id} data-row={row.id}>
            <th scope="row">{row.label}</th>
            <td>{STATE_WORDS[row.state]}</td>
            <td>{row.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The images the registry cannot take, one line each. */
function Problems({ problems }: { problems: RegistryCheckProblem[] }) {
  return (
    <ul className="registry-problems">
      {problems.map((problem) => (
        <li key={`${problem.image} ${problem.destination} ${problem.reason}`}>
          <strong>{REASON_WORDS[problem.reason]}</strong>: <span className="mono">{problem.image}</span> would go to <span className="mono">{problem.destination}</span> ({problem.detail})
        </li>
      ))}
    </ul>
  );
}

/** The options the check offers, as checkboxes. */
function Fixes({ answer }: { answer: RegistryCheckAnswer }) {
  const check = useRegistryCheck();
  const { maxNestedPaths, createRepositories } = answer.fixes;
  return (
    <>
      {maxNestedPaths !== undefined && (
        <div className="check">
          <input id="keep-shallow" type="checkbox" checked={check.keepShallow} onChange={(e) => check.choose({ keepShallow: e.target.checked })} />
          <label htmlFor="keep-shallow">
            Keep paths at most {maxNestedPaths} levels deep (deeper paths are joined into their last level with “-” and a short code; the mirror configuration follows)
          </label>
        </div>
      )}
      {createRepositories === true && (
        <div className="check">
          <input id="create-repositories" type="checkbox" checked={check.createRepositories} onChange={(e) => check.choose({ createRepositories: e.target.checked })} />
          <label htmlFor="create-repositories">Create missing repositories ({formatCount(answer.missingRepositories.length, 'repository', 'repositories')}) before pushing</label>
        </div>
      )}
    </>
  );
}

/** The check's outcome: the verdict, the problems with their options, and the table. */
export function RegistryCheckResult() {
  const check = useRegistryCheck();
  const { answer } = check;
  if (!answer) return null;
  const blocked = checkBlocks(check);
  const images = new Set(answer.problems.map((p) => p.image)).size;
  const headline = !answer.report.reachable
    ? 'The registry could not be checked.'
    : answer.problems.length === 0
      ? 'The registry can take this bundle.'
      : blocked === undefined
        ? 'With the options chosen, the registry can take this bundle.'
        : `The registry cannot take ${formatCount(images, 'image')} of this bundle as ${images === 1 ? 'it is' : 'they are'}.`;
  return (
    <section aria-label="Registry check" className="registry-check-result">
      <div role="status" className={answer.problems.length === 0 || blocked === undefined ? 'notice notice-ok' : 'notice notice-error'}>
        <p className="notice-title">{headline}</p>
        {answer.problems.length > 0 && <Problems problems={answer.problems} />}
        {answer.problems.length > 0 && answer.remaining.length > 0 && (answer.fixes.maxNestedPaths !== undefined || answer.fixes.createRepositories === true) && (
          <p>Even with the options below, {formatCount(new Set(answer.remaining.map((p) => p.image)).size, 'image')} would still be refused.</p>
        )}
        {answer.missingRepositories.length > 0 && answer.fixes.createRepositories !== true && (
          <p>
            Create these repositories in the registry first: <span className="mono">{answer.missingRepositories.join(', ')}</span>
          </p>
        )}
      </div>
      <Fixes answer={answer} />
      <Capabilities answer={answer} />
    </section>
  );
}
