/** The officer's saved report (issue 17): self-contained HTML, every value from the bundle escaped, digests in full. */
import { describe, expect, it } from 'vitest';
import { reportFileName, reportHtml } from '../../src-renderer/report-html.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('reportHtml', () => {
  it('escapes every value from the bundle, so a hostile label or note is text, not markup', () => {
    const html = reportHtml({
      title: 'Ferry inspection report',
      bundle: '/media/usb',
      notes: ['<script>alert(1)</script>'],
      images: [
        {
          name: 'app',
          source: 'quay.io/org/app:v1"><img src=x onerror=alert(1)>',
          digest: DIGEST,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          platforms: [
            {
              platform: 'linux/amd64',
              digest: DIGEST,
              mediaType: 'x',
              layers: [{ digest: DIGEST, size: 2048, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
              labels: { "a'b": '</td><script>' },
            },
          ],
        },
      ],
    });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a&#39;b');
    expect(html).toContain(DIGEST);
    expect(html).toContain('2 KiB');
    // Self-contained: nothing is fetched when it is opened.
    expect(html).not.toMatch(/<[^>]*\s(src|href)=/);
    expect(html).toContain("default-src 'none'");
  });

  it('lists a failed verification check by check', () => {
    const html = reportHtml({
      title: 'Ferry verification report',
      bundle: '/media/usb',
      verdict: 'Verification failed: do not import this bundle.',
      verification: {
        ok: false,
        checks: [{ id: 'blobs', title: "every blob's size and digest match", ok: false, problems: [`blob ${DIGEST} belongs to image quay.io/a:1 (layer)`] }],
        images: 1,
        blobs: 3,
        bytes: 10,
      },
    });
    expect(html).toContain('Verification failed: do not import this bundle.');
    expect(html).toContain('Failed: every blob&#39;s size and digest match');
    expect(html).toContain(`blob ${DIGEST} belongs to image quay.io/a:1 (layer)`);
  });

  it('names the file after the bundle and the day, with nothing a file system refuses', () => {
    expect(reportFileName('e56a04dc-f3f6-4c13-90af', new Date(2026, 11, 3))).toBe('ferry-report-e56a04dc-f3f-2026-12-03.html');
    expect(reportFileName('../../x', new Date(2026, 0, 9))).toBe('ferry-report-x-2026-01-09.html');
  });
});
