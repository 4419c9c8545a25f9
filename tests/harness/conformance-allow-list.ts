/**
 * Every accepted difference between `ferry serve` and Distribution 2.8 in the
 * conformance transcript, with ferry serve's exact answer. Each `id` is a row
 * of docs/serve.md "Differences from Distribution", which says why (the
 * distribution-spec's text wins over Distribution's behaviour); the
 * conformance test fails when the two lists disagree, when a difference
 * appears that is not here, or when one listed here is gone.
 */
import type { Allowance } from './conformance-diff.ts';

/** The documented differences (see the module comment). */
export const CONFORMANCE_ALLOWANCES: readonly Allowance[] = [
  {
    id: 'upload-unknown-code',
    steps: [
      { step: 'upload/status-unknown-session', ferry: { codes: 'BLOB_UPLOAD_UNKNOWN' } },
      { step: 'upload/other-repository/status', ferry: { codes: 'BLOB_UPLOAD_UNKNOWN' } },
      { step: 'upload/other-repository/put', ferry: { codes: 'BLOB_UPLOAD_UNKNOWN' } },
    ],
  },
  {
    id: 'upload-kept-after-digest-mismatch',
    steps: [{ step: 'upload/digest-mismatch/status-after', ferry: { status: '204', codes: '(absent)', 'header:range': '0-999', 'header:location': '/v2/conformance/alpha/blobs/uploads/<id>' } }],
  },
  {
    id: 'single-post-upload',
    steps: [
      {
        step: 'upload/single-post',
        ferry: {
          status: '201',
          'header:range': '(absent)',
          'header:location': '/v2/conformance/alpha/blobs/sha256:d7a80ba085c98acf64c25975ef3d4b0987e6456881c3fab1b7cf3e6db77b74fc',
          'header:docker-content-digest': 'sha256:d7a80ba085c98acf64c25975ef3d4b0987e6456881c3fab1b7cf3e6db77b74fc',
        },
      },
      {
        step: 'upload/single-post/head',
        ferry: {
          status: '200',
          'header:docker-content-digest': 'sha256:d7a80ba085c98acf64c25975ef3d4b0987e6456881c3fab1b7cf3e6db77b74fc',
          'header:accept-ranges': 'bytes',
          'header:content-type': 'application/octet-stream',
          'header:content-length': '1000',
        },
      },
      { step: 'upload/single-post-mismatch', ferry: { status: '400', codes: 'DIGEST_INVALID', 'header:range': '(absent)', 'header:location': '(absent)', 'header:content-length': '(absent)' } },
    ],
  },
  {
    id: 'chunk-order',
    steps: [
      { step: 'upload/wrong-offset/patch-overlapping', ferry: { status: '416', codes: 'RANGE_INVALID', 'header:range': '0-99', 'header:content-length': '(absent)' } },
      { step: 'upload/wrong-offset/status-after', ferry: { 'header:range': '0-99' } },
      { step: 'upload/gap/patch-skipping-first-chunk', ferry: { status: '416', codes: 'RANGE_INVALID', 'header:range': '0-0', 'header:content-length': '(absent)' } },
      { step: 'upload/final-wrong-offset/put', ferry: { status: '416', codes: 'RANGE_INVALID', 'header:range': '0-99', 'header:location': '/v2/conformance/alpha/blobs/uploads/<id>' } },
    ],
  },
  {
    id: 'chunk-size',
    steps: [
      {
        step: 'upload/wrong-length/patch-range-longer-than-body',
        ferry: { status: '400', codes: 'SIZE_INVALID', 'header:range': '(absent)', 'header:location': '(absent)', 'header:content-length': '(absent)' },
      },
      { step: 'upload/wrong-length/status-after', ferry: { 'header:range': '0-0' } },
    ],
  },
  {
    id: 'range-unsatisfiable',
    steps: [{ step: 'blob/range-unsatisfiable', ferry: { codes: 'RANGE_INVALID', transport: '(absent)', 'header:accept-ranges': 'bytes' } }],
  },
  {
    id: 'range-malformed',
    steps: [
      {
        step: 'blob/range-malformed',
        ferry: {
          status: '200',
          transport: '(absent)',
          body: 'sha256:7f8fd1c9ba3673b05bad550e4413150011affaa06a3a40d219937d5882153305 (1000 bytes)',
          'header:accept-ranges': 'bytes',
          'header:content-type': 'application/octet-stream',
          'header:content-length': '1000',
        },
      },
    ],
  },
  {
    id: 'invalid-name',
    steps: [
      { step: 'blob/get-invalid-name', ferry: { status: '400', codes: 'NAME_INVALID' } },
      { step: 'manifest/get-invalid-name', ferry: { status: '400', codes: 'NAME_INVALID' } },
    ],
  },
  {
    id: 'invalid-tag',
    steps: [{ step: 'manifest/put-invalid-tag', ferry: { status: '400', codes: 'MANIFEST_INVALID' } }],
  },
  {
    id: 'manifest-size-limit',
    steps: [{ step: 'manifest/put-oversized', ferry: { status: '413' } }],
  },
  {
    id: 'manifest-content-type-absent',
    steps: [
      {
        step: 'manifest/put-without-content-type',
        ferry: {
          status: '201',
          codes: '(absent)',
          'header:docker-content-digest': 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3',
          'header:location': '/v2/conformance/alpha/manifests/sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3',
          'header:content-length': '0',
        },
      },
    ],
  },
  {
    id: 'manifest-accept',
    steps: [
      {
        step: 'manifest/get-without-accept',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3 (402 bytes)',
          'header:docker-content-digest': 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3',
          'header:content-type': 'application/vnd.oci.image.manifest.v1+json',
          'header:content-length': '402',
        },
      },
      {
        step: 'manifest/get-oci-accepting-docker-only',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3 (402 bytes)',
          'header:docker-content-digest': 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3',
          'header:content-type': 'application/vnd.oci.image.manifest.v1+json',
          'header:content-length': '402',
        },
      },
    ],
  },
  {
    id: 'oci-subject',
    steps: [
      { step: 'manifest/put-referrer-dangling-subject', ferry: { 'header:oci-subject': 'sha256:41802d718b510575f9fa54e4fae5478a3b144c22ab4e0f6ad5de090489145cea' } },
      { step: 'manifest/put-referrer', ferry: { 'header:oci-subject': 'sha256:3ef8e897f827568f353c46ac50a08f89053bdd4b1cd70aafbb819667eb401cf3' } },
    ],
  },
  {
    id: 'tag-listing',
    steps: [
      { step: 'tags/list', ferry: { body: '{"name":"conformance/tags","tags":["T0","t1","t2","t3","t4"]}' } },
      { step: 'tags/list-n2', ferry: { body: '{"name":"conformance/tags","tags":["T0","t1"]}', 'header:link': '</v2/conformance/tags/tags/list?last=t1&n=2>; rel="next"' } },
      { step: 'tags/list-n2-last', ferry: { body: '{"name":"conformance/tags","tags":["t2","t3"]}', 'header:link': '</v2/conformance/tags/tags/list?last=t3&n=2>; rel="next"' } },
      { step: 'tags/list-last-only', ferry: { body: '{"name":"conformance/tags","tags":["t3","t4"]}' } },
      { step: 'tags/list-n-past-end', ferry: { body: '{"name":"conformance/tags","tags":["t4"]}' } },
      { step: 'tags/list-n0', ferry: { body: '{"name":"conformance/tags","tags":[]}' } },
    ],
  },
  {
    id: 'catalog',
    steps: [
      { step: 'catalog', ferry: { body: '{"repositories":["conformance/alpha","conformance/tags"]}' } },
      { step: 'catalog/n2', ferry: { body: '{"repositories":["conformance/alpha","conformance/tags"]}', 'header:link': '(absent)' } },
      { step: 'catalog/n2-last', ferry: { body: '{"repositories":["conformance/tags"]}' } },
    ],
  },
  {
    id: 'referrers-api',
    steps: [
      {
        step: 'referrers/list',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ferry.conformance.sig.v1","annotations":{"org.opencontainers.image.created":"2020-01-01T00:00:00Z"},"digest":"sha256:003dd07aa04a3325cc82d35cfdd55732fe1e96cbcf6a1929dd0491d7bfc4a524","size":675}]}',
          'header:content-type': 'application/vnd.oci.image.index.v1+json',
        },
      },
      {
        step: 'referrers/filtered-match',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.ferry.conformance.sig.v1","annotations":{"org.opencontainers.image.created":"2020-01-01T00:00:00Z"},"digest":"sha256:003dd07aa04a3325cc82d35cfdd55732fe1e96cbcf6a1929dd0491d7bfc4a524","size":675}]}',
          'header:oci-filters-applied': 'artifactType',
          'header:content-type': 'application/vnd.oci.image.index.v1+json',
        },
      },
      {
        step: 'referrers/filtered-none',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
          'header:oci-filters-applied': 'artifactType',
          'header:content-type': 'application/vnd.oci.image.index.v1+json',
        },
      },
      {
        step: 'referrers/none',
        ferry: {
          status: '200',
          codes: '(absent)',
          body: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}',
          'header:content-type': 'application/vnd.oci.image.index.v1+json',
        },
      },
      { step: 'referrers/invalid-digest', ferry: { status: '400', codes: 'DIGEST_INVALID' } },
    ],
  },
  {
    id: 'tag-delete',
    steps: [
      { step: 'delete/tag', ferry: { status: '202', codes: '(absent)', 'header:content-length': '0' } },
      {
        step: 'delete/tag/get-after',
        ferry: { status: '404', codes: 'MANIFEST_UNKNOWN', 'header:docker-content-digest': '(absent)', 'header:content-type': '(absent)', 'header:content-length': '(absent)' },
      },
      { step: 'delete/tags-after', ferry: { body: '{"name":"conformance/alpha","tags":["latest","untyped"]}' } },
    ],
  },
];
