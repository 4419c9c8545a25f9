/**
 * The images a chart declares (sources/chart-images.ts), on values files
 * modelled on real charts: ingress-nginx's `{registry, image, tag, digest}`,
 * Bitnami's `{registry, repository, tag, digest}` with `global`, `helm create`'s
 * empty tag defaulting to appVersion, `image: "repo:tag"` strings, and the
 * `artifacthub.io/images` annotation. What does not parse is a problem to
 * show, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { declaredImages } from '../../src-main/sources/chart-images.ts';
import { formatReference } from '../../src-main/oci/reference.ts';

function found(chart: Record<string, unknown>, values: string | undefined): { images: string[]; problems: string[] } {
  const declared = declaredImages(chart, values === undefined ? undefined : Buffer.from(values), 'chart');
  return { images: declared.images.map((i) => `${formatReference(i.reference)} <- ${i.from}`), problems: declared.problems };
}

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

/** Shaped after ingress-nginx 4.x values.yaml (trimmed): the controller, the webhook patch job and the default backend. */
const INGRESS_NGINX = `
commonLabels: {}
controller:
  name: controller
  enableAnnotationValidations: false
  image:
    chroot: false
    registry: registry.k8s.io
    image: ingress-nginx/controller
    ## for backwards compatibility consider setting the full image url via the repository value below
    ## repository:
    tag: "v1.11.3"
    digest: ${DIGEST_A}
    digestChroot: ${DIGEST_B}
    pullPolicy: IfNotPresent
    runAsNonRoot: true
  containerPort:
    http: 80
    https: 443
  config: {}
  opentelemetry:
    enabled: false
    name: opentelemetry
    image:
      registry: registry.k8s.io
      image: ingress-nginx/opentelemetry-1.25.3
      tag: v20240813-b933310d
      digest: ${DIGEST_B}
  admissionWebhooks:
    enabled: true
    patch:
      enabled: true
      image:
        registry: registry.k8s.io
        image: ingress-nginx/kube-webhook-certgen
        tag: v1.4.4
        digest: ${DIGEST_A}
        pullPolicy: IfNotPresent
  extraContainers: []
  extraInitContainers: []
defaultBackend:
  enabled: false
  name: defaultbackend
  image:
    registry: registry.k8s.io
    image: defaultbackend-amd64
    tag: "1.5"
    pullPolicy: IfNotPresent
    runAsNonRoot: true
imagePullSecrets: []
`;

/** Shaped after a Bitnami chart's values.yaml: global registry override, image objects, a metrics exporter, a volume-permissions init image. */
const BITNAMI = `
global:
  imageRegistry: ""
  imagePullSecrets: []
  defaultStorageClass: ""
image:
  registry: docker.io
  repository: bitnami/nginx
  tag: 1.27.2-debian-12-r2
  digest: ""
  pullPolicy: IfNotPresent
  pullSecrets: []
  debug: false
cloneStaticSiteFromGit:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/git
    tag: 2.47.0-debian-12-r1
    digest: ""
  repository: ""
  branch: ""
metrics:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/nginx-exporter
    tag: 1.3.0-debian-12-r5
    digest: ""
volumePermissions:
  enabled: false
  image:
    registry: docker.io
    repository: bitnami/os-shell
    tag: 12-debian-12-r32
service:
  type: LoadBalancer
  ports:
    http: 80
`;

/** \`helm create\`'s default values: the tag is empty, so the template falls back to .Chart.AppVersion. */
const HELM_CREATE = `
replicaCount: 1
image:
  repository: nginx
  pullPolicy: IfNotPresent
  # Overrides the image tag whose default is the chart appVersion.
  tag: ""
imagePullSecrets: []
serviceAccount:
  create: true
`;

describe('declaredImages', () => {
  it('reads ingress-nginx style {registry, image, tag, digest} anywhere in the values', () => {
    expect(found({ name: 'ingress-nginx', appVersion: '1.11.3' }, INGRESS_NGINX)).toEqual({
      images: [
        `registry.k8s.io/ingress-nginx/controller:v1.11.3@${DIGEST_A} <- controller.image`,
        `registry.k8s.io/ingress-nginx/opentelemetry-1.25.3:v20240813-b933310d@${DIGEST_B} <- controller.opentelemetry.image`,
        `registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.4@${DIGEST_A} <- controller.admissionWebhooks.patch.image`,
        'registry.k8s.io/defaultbackend-amd64:1.5 <- defaultBackend.image',
      ],
      problems: [],
    });
  });

  it('reads Bitnami style {registry, repository, tag, digest: ""}, a YAML number tag as text', () => {
    const { images, problems } = found({ name: 'nginx', appVersion: '1.27.2' }, BITNAMI);
    expect(images).toEqual([
      'docker.io/bitnami/nginx:1.27.2-debian-12-r2 <- image',
      'docker.io/bitnami/git:2.47.0-debian-12-r1 <- cloneStaticSiteFromGit.image',
      'docker.io/bitnami/nginx-exporter:1.3.0-debian-12-r5 <- metrics.image',
      'docker.io/bitnami/os-shell:12-debian-12-r32 <- volumePermissions.image',
    ]);
    expect(problems).toEqual([]);
    expect(found({}, 'image:\n  repository: org/app\n  tag: 1.25\n').images).toEqual(['docker.io/org/app:1.25 <- image']);
  });

  it('an empty tag is the chart appVersion; without one it is a problem', () => {
    expect(found({ name: 'web', appVersion: '1.16.0' }, HELM_CREATE)).toEqual({ images: ['docker.io/library/nginx:1.16.0 <- image'], problems: [] });
    const bare = found({ name: 'web' }, HELM_CREATE);
    expect(bare.images).toEqual([]);
    expect(bare.problems).toEqual(['image names nginx with no tag, and the chart has no appVersion to default it to']);
  });

  it('reads "repo:tag" strings under image keys, in lists too, each image once', () => {
    const values = `
image: quay.io/org/app:v2
initImage: busybox:1.36
sidecars:
  - name: log
    image: "quay.io/org/log@${DIGEST_A}"
  - name: again
    image: quay.io/org/app:v2
docs:
  image: https://example.com/diagram.png
description: "image: not-this:1"
`;
    expect(found({}, values).images).toEqual(['quay.io/org/app:v2 <- image', 'docker.io/library/busybox:1.36 <- initImage', `quay.io/org/log@${DIGEST_A} <- sidecars[0].image`]);
  });

  it('reads the artifacthub.io/images annotation before the values', () => {
    const chart = {
      name: 'app',
      annotations: {
        'artifacthub.io/images': `- name: app\n  image: ghcr.io/org/app:1.2.3\n- name: helper\n  image: ghcr.io/org/helper:0.4@${DIGEST_B}\n  platforms: [linux/amd64]\n`,
      },
    };
    expect(found(chart, 'image:\n  repository: ghcr.io/org/app\n  tag: 1.2.3\n').images).toEqual([
      'ghcr.io/org/app:1.2.3 <- artifacthub.io/images[0] (app)',
      `ghcr.io/org/helper:0.4@${DIGEST_B} <- artifacthub.io/images[1] (helper)`,
    ]);
  });

  it('what does not parse is a problem, not a crash: templates, bad names, a broken annotation or values file', () => {
    const values = `
image:
  repository: "{{ .Values.global.registry }}/app"
  tag: v1
worker:
  image: Not_A/Reference:v1
`;
    const result = found({ annotations: { 'artifacthub.io/images': 'name: [unclosed' } }, values);
    expect(result.images).toEqual([]);
    expect(result.problems).toHaveLength(3);
    expect(result.problems[0]).toMatch(/^chart\/Chart\.yaml annotation artifacthub\.io\/images:1:/);
    expect(result.problems[1]).toBe('image is a template ("{{ .Values.global.registry }}/app:v1"): the image it renders to is not known');
    expect(result.problems[2]).toMatch(/^worker\.image is not an image reference: invalid reference "Not_A\/Reference:v1"/);
    const broken = found({}, 'image: [a\n');
    expect(broken.images).toEqual([]);
    expect(broken.problems[0]).toMatch(/^chart\/values\.yaml:/);
    expect(found({ annotations: { 'artifacthub.io/images': '- name: x\n' } }, undefined).problems).toEqual(['chart/Chart.yaml: annotation artifacthub.io/images[0] has no image']);
  });
});
