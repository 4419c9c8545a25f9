/** The jobs of this session as a table: what each is, where it stands, and how far it got. */
import { jobPercent, useJobs } from '../stores/jobs-store.ts';

/** Jobs newest first, live from the jobs store (events only); each bar is named after its job. */
export function JobsTable({ caption, limit }: { caption: string; limit?: number }) {
  const order = useJobs((s) => s.order);
  const jobs = useJobs((s) => s.jobs);
  const progress = useJobs((s) => s.progress);
  const ids = limit === undefined ? order : order.slice(0, limit);
  if (ids.length === 0) return <p>No jobs yet in this session.</p>;
  return (
    <table className="jobs">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => {
          const job = jobs[id];
          if (!job) return null;
          const percent = jobPercent(job, progress[id]);
          return (
            <tr key={id}>
              <td className="mono">{job.title}</td>
              <td>{job.kind}</td>
              <td>{job.status}</td>
              <td className="num">
                <progress max={100} value={percent} aria-label={`${job.title}: ${percent}%`} /> {percent}%
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
