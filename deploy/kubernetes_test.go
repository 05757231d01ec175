package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/vigil-cctv/vigil/cmd/vigil/app"
	"github.com/vigil-cctv/vigil/evidence/locker"
)

// Paths are relative to this directory, where `go test` runs.
const (
	kustomizeDir    = "kubernetes"
	k8sReadmeFile   = "kubernetes/README.md"
	localPVExample  = "kubernetes/examples/local-pv.yaml"
	containerFile   = "container/Containerfile"
	kustomizeApply  = "kubectl apply -k deploy/kubernetes"
	vigilContainer  = "vigil"
	evidenceKeyInit = "evidence-key"
	// evidenceKeys is the Secret with the cluster's one evidence signing
	// key pair.
	evidenceKeys = "vigil-evidence-keys"
	// readyTimeout is how long ui's /readyz lets its check run (ui.readyTimeout).
	readyTimeout = 3 * time.Second
)

// secretKeys are the Secret keys the manifests read, each with an example
// value of the form the service expects. README.md's Secrets section
// must name every Secret here.
var secretKeys = map[string]string{
	"vigil-store/dsn":             "postgres://vigil:example@postgres.vigil.svc:5432/vigil?sslmode=verify-full",
	"vigil-alerts/webhook-url":    "https://alerts.example-council.gov.uk/hooks/vigil",
	"vigil-alerts/webhook-secret": "an-example-webhook-secret",
	"vigil-metrics-token/token":   "vgt_example",
	"vigil-tls/tls.crt":           "",
	"vigil-tls/tls.key":           "",
	"vigil-tls/ca.crt":            "",
	"vigil-ingress-tls/tls.crt":   "",
	"vigil-ingress-tls/tls.key":   "",
	// one pair for the whole cluster: its nodes share one evidence log
	evidenceKeys + "/signing.key": "",
	evidenceKeys + "/signing.pub": "",
	// optional: shared S3 storage (recorder.s3), its keys and a private CA
	s3Secret + "/access-key": "vigil-node",
	s3Secret + "/secret-key": "an-example-s3-secret-key",
	s3Secret + "/ca.crt":     "",
}

// Shared S3 storage (recorder.s3): the optional Secret with the keys (and
// a private CA), and where that CA is mounted.
const (
	s3Secret = "vigil-s3"
	s3CAFile = "/run/vigil/s3/ca.crt"
)

// The first pod, as the downward API describes it, and the others of a
// three-node cluster.
const (
	testPod       = "vigil-0"
	testNamespace = "vigil"
)

var otherPods = []string{"vigil-1", "vigil-2"}

// bundle is the kustomization rendered, each object strictly decoded into
// its API type.
type bundle struct {
	namespaces      map[string]*corev1.Namespace
	serviceAccounts map[string]*corev1.ServiceAccount
	configMaps      map[string]*corev1.ConfigMap
	services        map[string]*corev1.Service
	statefulSets    map[string]*appsv1.StatefulSet
	ingresses       map[string]*networkingv1.Ingress
	pdbs            map[string]*policyv1.PodDisruptionBudget
	storageClasses  map[string]*storagev1.StorageClass
	serviceMonitors map[string]map[string]any
	// all holds every object's metadata, by "Kind/name".
	all map[string]metav1.ObjectMeta
}

// renderKustomization runs kustomize (the library kubectl kustomize uses)
// on deploy/kubernetes, then decodes every object into its Go type from
// k8s.io/api, rejecting unknown and duplicate fields (a misspelt or
// misplaced key fails here instead of being dropped by the API server).
func renderKustomization(t *testing.T) *bundle {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), kustomizeDir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", kustomizeDir, err)
	}
	b := &bundle{
		namespaces: map[string]*corev1.Namespace{}, serviceAccounts: map[string]*corev1.ServiceAccount{},
		configMaps: map[string]*corev1.ConfigMap{}, services: map[string]*corev1.Service{},
		statefulSets: map[string]*appsv1.StatefulSet{}, ingresses: map[string]*networkingv1.Ingress{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, storageClasses: map[string]*storagev1.StorageClass{},
		serviceMonitors: map[string]map[string]any{}, all: map[string]metav1.ObjectMeta{},
	}
	for _, r := range rm.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		j, err := sigsyaml.YAMLToJSON(y)
		if err != nil {
			t.Fatalf("%s/%s: %v", r.GetKind(), r.GetName(), err)
		}
		key := r.GetKind() + "/" + r.GetName()
		if _, dup := b.all[key]; dup {
			t.Errorf("%s: twice", key)
		}
		var obj metav1.Object
		switch gvk := r.GetApiVersion() + " " + r.GetKind(); gvk {
		case "v1 Namespace":
			obj = decodeInto(t, key, j, b.namespaces)
		case "v1 ServiceAccount":
			obj = decodeInto(t, key, j, b.serviceAccounts)
		case "v1 ConfigMap":
			obj = decodeInto(t, key, j, b.configMaps)
		case "v1 Service":
			obj = decodeInto(t, key, j, b.services)
		case "apps/v1 StatefulSet":
			obj = decodeInto(t, key, j, b.statefulSets)
		case "networking.k8s.io/v1 Ingress":
			obj = decodeInto(t, key, j, b.ingresses)
		case "policy/v1 PodDisruptionBudget":
			obj = decodeInto(t, key, j, b.pdbs)
		case "storage.k8s.io/v1 StorageClass":
			obj = decodeInto(t, key, j, b.storageClasses)
		case "monitoring.coreos.com/v1 ServiceMonitor":
			// No Go type here: checked structurally (checkServiceMonitor).
			var m map[string]any
			if err := json.Unmarshal(j, &m); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			b.serviceMonitors[r.GetName()] = m
			var u metav1.PartialObjectMetadata
			if err := json.Unmarshal(j, &u); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			obj = &u
		default:
			// Secrets are made by hand (README.md); anything else is new
			// here and needs its own checks.
			t.Fatalf("%s: %s is not a kind this test knows", key, gvk)
		}
		b.all[key] = metav1.ObjectMeta{Name: obj.GetName(), Namespace: obj.GetNamespace(), Labels: obj.GetLabels(),
			Annotations: obj.GetAnnotations()}
	}
	return b
}

// decodeInto strictly decodes j into a new T and files it by name.
func decodeInto[T any, PT interface {
	*T
	metav1.Object
}](t *testing.T, key string, j []byte, into map[string]PT) metav1.Object {
	t.Helper()
	obj := PT(new(T))
	strict, err := sigsjson.UnmarshalStrict(j, obj)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	for _, e := range strict {
		t.Errorf("%s: %v", key, e)
	}
	into[obj.GetName()] = obj
	return obj
}

// the returns the only object of a kind, failing the test if there is not
// exactly one.
func the[T any](t *testing.T, kind string, m map[string]T) T {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("want exactly one %s, have %d", kind, len(m))
	}
	for _, v := range m {
		return v
	}
	panic("unreachable")
}

func container(t *testing.T, pod *corev1.PodSpec, name string, init bool) *corev1.Container {
	t.Helper()
	list := pod.Containers
	if init {
		list = pod.InitContainers
	}
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	t.Fatalf("the pod has no container %s (init: %v)", name, init)
	return nil
}

// containerPort resolves a Service or probe port (a name or a number) to
// the container's port.
func containerPort(c *corev1.Container, p intstr.IntOrString, proto corev1.Protocol) (corev1.ContainerPort, bool) {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, cp := range c.Ports {
		cpProto := cp.Protocol
		if cpProto == "" {
			cpProto = corev1.ProtocolTCP
		}
		if cpProto != proto {
			continue
		}
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp, true
		}
	}
	return corev1.ContainerPort{}, false
}

// configEnvNames are the environment overrides app.Config has: VIGIL_ +
// each scalar field's YAML path in capitals (what app's applyEnv reads).
func configEnvNames() map[string]bool {
	out := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			env := prefix + "_" + strings.ToUpper(tag)
			switch f.Type.Kind() {
			case reflect.Struct:
				walk(f.Type, env)
			case reflect.String, reflect.Int, reflect.Int64, reflect.Bool, reflect.Float64:
				out[env] = true
			}
		}
	}
	walk(reflect.TypeOf(app.Config{}), "VIGIL")
	return out
}

// podEnv resolves a container's environment as the kubelet does for the
// pod named pod: downward API fields, Secrets (secretKeys' examples), and
// $(VAR) references to variables defined earlier in the list. Anything
// it cannot resolve fails the test.
func podEnv(t *testing.T, c *corev1.Container, pod string) map[string]string {
	t.Helper()
	env := map[string]string{}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for _, e := range c.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("container %s: env %s twice", c.Name, e.Name)
		}
		switch {
		case e.ValueFrom == nil:
			v := ref.ReplaceAllStringFunc(e.Value, func(m string) string {
				name := ref.FindStringSubmatch(m)[1]
				val, ok := env[name]
				if !ok {
					t.Errorf("container %s: env %s refers to $(%s), which is not defined before it (left as is by the kubelet)", c.Name, e.Name, name)
				}
				return val
			})
			env[e.Name] = v
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				env[e.Name] = pod
			case "metadata.namespace":
				env[e.Name] = testNamespace
			default:
				t.Errorf("container %s: env %s from field %s: add it to this test", c.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			k := e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			v, ok := secretKeys[k]
			if !ok {
				t.Errorf("container %s: env %s from Secret key %s, which secretKeys (and README.md) do not list", c.Name, e.Name, k)
			}
			env[e.Name] = v
		default:
			t.Errorf("container %s: env %s: only values, downward API fields and Secret keys are expected", c.Name, e.Name)
		}
	}
	return env
}

// containerfileLines are the Containerfile's instructions, continuation
// lines joined, comments dropped.
func containerfileLines(t *testing.T) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(strings.NewReader(readFile(t, containerFile)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// TestKubernetesManifests renders deploy/kubernetes as `kubectl apply -k`
// would, and checks that the pieces fit each other and the service: the
// selectors, ports, probes, volumes, environment and config file, the
// Secrets named in README.md, the image and the Containerfile, and the
// ServiceMonitor against deploy/prometheus's scrape interval and job name.
func TestKubernetesManifests(t *testing.T) {
	b := renderKustomization(t)
	sts := the(t, "StatefulSet", b.statefulSets)
	pod := &sts.Spec.Template.Spec
	podLabels := labels.Set(sts.Spec.Template.Labels)
	vigil := container(t, pod, vigilContainer, false)

	// Every object carries the app's name; namespaced ones are in the
	// kustomization's namespace.
	ns := the(t, "Namespace", b.namespaces)
	clusterScoped := map[string]bool{"Namespace": true, "StorageClass": true}
	for key, m := range b.all {
		if m.Labels["app.kubernetes.io/name"] != "vigil" {
			t.Errorf("%s: no label app.kubernetes.io/name=vigil", key)
		}
		kind, _, _ := strings.Cut(key, "/")
		if !clusterScoped[kind] && m.Namespace != ns.Name {
			t.Errorf("%s: namespace %q, want %q", key, m.Namespace, ns.Name)
		}
	}

	// The config file from the ConfigMap, with the pod's environment.
	cm := the(t, "ConfigMap", b.configMaps)
	env := podEnv(t, vigil, testPod)
	cfg := checkConfig(t, cm, vigil, env)

	t.Run("selectors", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) {
			t.Errorf("StatefulSet selector %v does not select its pods %v (%v)", sts.Spec.Selector, podLabels, err)
		}
		for name, svc := range b.services {
			if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
				t.Errorf("Service %s: selector %v does not select the Vigil pods %v", name, svc.Spec.Selector, podLabels)
			}
		}
		pdb := the(t, "PodDisruptionBudget", b.pdbs)
		psel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || psel.Empty() || !psel.Matches(podLabels) {
			t.Errorf("PodDisruptionBudget selector %v does not select the pods %v", pdb.Spec.Selector, podLabels)
		}
		// N+1: one node may be drained at a time, never more.
		if pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != intstr.FromInt32(1) {
			t.Errorf("PodDisruptionBudget: want maxUnavailable 1 (one node away at a time), have %+v", pdb.Spec)
		}
		if sts.Spec.Replicas == nil || *sts.Spec.Replicas < 2 {
			t.Errorf("StatefulSet: %v replicas; N+1 needs at least 2", sts.Spec.Replicas)
		}
		// The pods' peer names come from the headless Service.
		peers, ok := b.services[sts.Spec.ServiceName]
		if !ok || peers.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("StatefulSet serviceName %q is not a headless Service here", sts.Spec.ServiceName)
		} else if want := "https://$(POD_NAME)." + peers.Name + ".$(POD_NAMESPACE).svc:"; !slices.ContainsFunc(vigil.Env, func(e corev1.EnvVar) bool {
			return e.Name == "VIGIL_CLUSTER_ADVERTISE_URL" && strings.HasPrefix(e.Value, want)
		}) {
			t.Errorf("VIGIL_CLUSTER_ADVERTISE_URL should be %sPORT (the headless Service)", want)
		}
		if sa := pod.ServiceAccountName; b.serviceAccounts[sa] == nil {
			t.Errorf("the pods run as ServiceAccount %q, which is not here", sa)
		}
	})

	t.Run("ports", func(t *testing.T) {
		for name, svc := range b.services {
			if len(svc.Spec.Ports) == 0 {
				t.Errorf("Service %s: no ports", name)
			}
			for _, p := range svc.Spec.Ports {
				if _, ok := containerPort(vigil, p.TargetPort, p.Protocol); !ok {
					t.Errorf("Service %s port %s: targetPort %s/%s is no port of the vigil container", name, p.Name, p.TargetPort.String(), p.Protocol)
				}
			}
		}
		ing := the(t, "Ingress", b.ingresses)
		if ing.Spec.IngressClassName == nil || len(ing.Spec.TLS) == 0 || ing.Spec.TLS[0].SecretName == "" {
			t.Errorf("Ingress: needs an ingressClassName and TLS with a Secret")
		}
		for _, tls := range ing.Spec.TLS {
			if _, ok := secretKeys[tls.SecretName+"/tls.crt"]; !ok {
				t.Errorf("Ingress TLS Secret %s: not in secretKeys (and README.md)", tls.SecretName)
			}
		}
		if cfg.TLS.Mode == "on" && ing.Annotations["nginx.ingress.kubernetes.io/backend-protocol"] != "HTTPS" {
			t.Errorf("Ingress: Vigil serves HTTPS only (tls.mode on); the proxy must speak HTTPS to it")
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil || len(rule.HTTP.Paths) == 0 {
				t.Errorf("Ingress rule %s: no paths", rule.Host)
				continue
			}
			for _, p := range rule.HTTP.Paths {
				be := p.Backend.Service
				if be == nil {
					t.Errorf("Ingress %s%s: no Service backend", rule.Host, p.Path)
					continue
				}
				svc, ok := b.services[be.Name]
				if !ok {
					t.Errorf("Ingress %s%s: Service %s is not here", rule.Host, p.Path, be.Name)
					continue
				}
				if !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool {
					return (be.Port.Name != "" && sp.Name == be.Port.Name) || (be.Port.Number != 0 && sp.Port == be.Port.Number)
				}) {
					t.Errorf("Ingress %s%s: Service %s has no port %+v", rule.Host, p.Path, be.Name, be.Port)
				}
				if svc.Spec.ClusterIP == corev1.ClusterIPNone {
					t.Errorf("Ingress %s%s: goes to the headless Service %s", rule.Host, p.Path, be.Name)
				}
			}
		}
		// The listen port, and the live view's media ports on both
		// transports, are the container's.
		_, listenPort, _ := strings.Cut(cfg.Listen, ":")
		for _, want := range []struct {
			what  string
			port  string
			proto corev1.Protocol
		}{{"listen", listenPort, corev1.ProtocolTCP}, {"live.udp_port", strconv.Itoa(cfg.Live.UDPPort), corev1.ProtocolUDP},
			{"live.tcp_port", strconv.Itoa(cfg.Live.TCPPort), corev1.ProtocolTCP}} {
			n, _ := strconv.Atoi(want.port)
			if _, ok := containerPort(vigil, intstr.FromInt(n), want.proto); !ok || n <= 0 {
				t.Errorf("config %s %s/%s is no port of the vigil container (a fixed port is needed)", want.what, want.port, want.proto)
			}
		}
		// On the host's network the ports are the node's: one pod per
		// node, and the cluster's DNS still.
		if pod.HostNetwork {
			if pod.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
				t.Errorf("hostNetwork with dnsPolicy %q: the pods could not resolve the store or their peers (want ClusterFirstWithHostNet)", pod.DNSPolicy)
			}
			if !oneVigilPerNode(pod, podLabels) {
				t.Errorf("hostNetwork needs a required pod anti-affinity on kubernetes.io/hostname against the Vigil pods")
			}
			if ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
				t.Errorf("hostNetwork pods need the privileged Pod Security level in namespace %s", ns.Name)
			}
		}
	})

	t.Run("probes", func(t *testing.T) {
		scheme := corev1.URISchemeHTTP
		if cfg.TLS.Mode == "on" {
			scheme = corev1.URISchemeHTTPS // plain HTTP is only redirected
		}
		_, listenPort, _ := strings.Cut(cfg.Listen, ":")
		for _, p := range []struct {
			what  string
			probe *corev1.Probe
			path  string
		}{{"liveness", vigil.LivenessProbe, "/healthz"}, {"startup", vigil.StartupProbe, "/healthz"}, {"readiness", vigil.ReadinessProbe, "/readyz"}} {
			if p.probe == nil || p.probe.HTTPGet == nil {
				t.Errorf("%s probe: want an HTTP GET of %s", p.what, p.path)
				continue
			}
			g := p.probe.HTTPGet
			cp, ok := containerPort(vigil, g.Port, corev1.ProtocolTCP)
			if g.Path != p.path || g.Scheme != scheme || !ok || strconv.Itoa(int(cp.ContainerPort)) != listenPort {
				t.Errorf("%s probe: %s %s on port %s (%d), want %s %s on the listen port %s", p.what, g.Scheme, g.Path, g.Port.String(), cp.ContainerPort, scheme, p.path, listenPort)
			}
		}
		if rp := vigil.ReadinessProbe; rp != nil && time.Duration(rp.TimeoutSeconds)*time.Second <= readyTimeout {
			t.Errorf("readiness probe timeout %ds: /readyz may take up to %v to answer", rp.TimeoutSeconds, readyTimeout)
		}
		if sp, lp := vigil.StartupProbe, vigil.LivenessProbe; sp != nil && lp != nil &&
			sp.PeriodSeconds*sp.FailureThreshold < 5*60 {
			t.Errorf("startup probe gives %ds: a start-up that replays the evidence log needs minutes", sp.PeriodSeconds*sp.FailureThreshold)
		}
	})

	t.Run("volumes", func(t *testing.T) {
		checkVolumes(t, b, sts, cfg)
	})

	t.Run("evidence log", func(t *testing.T) {
		// The nodes share one log, in PostgreSQL, when each has a node id
		// and the store is PostgreSQL (app's newEvidenceLog). Without
		// that, each pod would keep a log of its own on its volume, all
		// signed by the one key under the one origin: a forked log.
		if cfg.Cluster.NodeID == "" || !strings.HasPrefix(cfg.Store.DSN, "postgres://") {
			t.Errorf("cluster.node_id %q and store.dsn %q: the nodes share one evidence log only with a node id and a PostgreSQL store", cfg.Cluster.NodeID, cfg.Store.DSN)
		}
		// So one origin and one key directory for every pod, the council's
		// name, without the pod's.
		if cfg.Evidence.Origin == app.DefaultConfig().Evidence.Origin {
			t.Errorf("evidence.origin is vigil's default %q: set the council's", cfg.Evidence.Origin)
		}
		for _, other := range otherPods {
			oc := podConfig(t, cm, vigil, other)
			if oc.Cluster.NodeID != other {
				t.Errorf("pod %s: cluster.node_id %q, want the pod's name", other, oc.Cluster.NodeID)
			}
			if oc.Evidence.Origin != cfg.Evidence.Origin || oc.Evidence.KeyDir != cfg.Evidence.KeyDir {
				t.Errorf("pod %s: evidence origin %q and key_dir %q, but pod %s has %q and %q: the cluster's one log has one name and one key",
					other, oc.Evidence.Origin, oc.Evidence.KeyDir, testPod, cfg.Evidence.Origin, cfg.Evidence.KeyDir)
			}
		}
		for _, pod := range append([]string{testPod}, otherPods...) {
			if strings.Contains(cfg.Evidence.Origin, pod) {
				t.Errorf("evidence origin %q names pod %s: the cluster's nodes share one log", cfg.Evidence.Origin, pod)
			}
		}
		// The key in the Secret is made for that origin: README.md says
		// which.
		if secrets := readmeSection(t, "Secrets"); !strings.Contains(secrets, "origin="+cfg.Evidence.Origin+" ") {
			t.Errorf("README.md's Secrets section does not make the key for the origin %s (origin=%s)", cfg.Evidence.Origin, cfg.Evidence.Origin)
		}
		checkEvidenceKey(t, sts, cfg)
	})

	t.Run("resources", func(t *testing.T) {
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, okR := c.Resources.Requests[r]
				lim, okL := c.Resources.Limits[r]
				if !okR || !okL || req.IsZero() {
					t.Errorf("container %s: %s request and limit must be set", c.Name, r)
				} else if req.Cmp(lim) > 0 {
					t.Errorf("container %s: %s request %s above its limit %s", c.Name, r, req.String(), lim.String())
				}
			}
		}
		// The README's sizing says what the requests are and why.
		sizing := readmeSection(t, "Sizing")
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			for what, l := range map[string]corev1.ResourceList{"request": vigil.Resources.Requests, "limit": vigil.Resources.Limits} {
				q := l[r]
				if !strings.Contains(sizing, fmt.Sprintf("%s %s: %s", r, what, q.String())) {
					t.Errorf("README.md's Sizing section does not give the %s %s %s (write %q)", r, what, q.String(), fmt.Sprintf("%s %s: %s", r, what, q.String()))
				}
			}
		}
		if c := env["VIGIL_CLUSTER_CAPACITY"]; !strings.Contains(sizing, "capacity "+c) {
			t.Errorf("README.md's Sizing section does not explain the capacity %s (write %q)", c, "capacity "+c)
		}
	})

	t.Run("environment", func(t *testing.T) {
		known := configEnvNames()
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			for _, e := range c.Env {
				upper := strings.ToUpper(e.Name)
				if strings.HasPrefix(e.Name, "VIGIL_") && !known[e.Name] {
					t.Errorf("container %s: env %s is no config field of vigil (app.Config)", c.Name, e.Name)
				}
				secretish := strings.Contains(upper, "SECRET") || strings.Contains(upper, "PASSWORD") || strings.Contains(upper, "DSN") ||
					strings.Contains(upper, "TOKEN") || strings.HasSuffix(upper, "_KEY")
				if secretish && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					t.Errorf("container %s: env %s must come from a Secret, not be written in the manifest", c.Name, e.Name)
				}
			}
		}
		if env["VIGIL_CLUSTER_NODE_ID"] != testPod {
			t.Errorf("VIGIL_CLUSTER_NODE_ID is %q, want the pod's name", env["VIGIL_CLUSTER_NODE_ID"])
		}
		if u := env["VIGIL_CLUSTER_ADVERTISE_URL"]; u != fmt.Sprintf("https://%s.%s.%s.svc:%d", testPod, sts.Spec.ServiceName, testNamespace, containerPortNumber(t, vigil, "https")) {
			t.Errorf("VIGIL_CLUSTER_ADVERTISE_URL %q: want https://POD.%s.NAMESPACE.svc:PORT", u, sts.Spec.ServiceName)
		}
		if n, err := strconv.Atoi(env["VIGIL_CLUSTER_CAPACITY"]); err != nil || n < 1 {
			t.Errorf("VIGIL_CLUSTER_CAPACITY %q: want a number of cameras", env["VIGIL_CLUSTER_CAPACITY"])
		}
	})

	t.Run("security", func(t *testing.T) {
		psc := pod.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || psc.FSGroup == nil {
			t.Fatalf("pod securityContext: want runAsNonRoot, runAsUser and fsGroup, have %+v", psc)
		}
		if psc.FSGroupChangePolicy == nil || *psc.FSGroupChangePolicy != corev1.FSGroupChangeOnRootMismatch {
			t.Errorf("fsGroupChangePolicy: want OnRootMismatch (the recordings volume holds millions of files)")
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("the pods need no Kubernetes API token: automountServiceAccountToken false")
		}
		for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || sc.Privileged != nil && *sc.Privileged {
				t.Errorf("container %s: want a read-only root, no privilege escalation, all capabilities dropped", c.Name)
			}
		}
		checkContainerfile(t, b, sts, cfg)
	})

	t.Run("object store", func(t *testing.T) {
		checkObjectStore(t, sts, cm, vigil, cfg)
	})

	t.Run("servicemonitor", func(t *testing.T) {
		checkServiceMonitor(t, b, vigil)
	})

	t.Run("readme", func(t *testing.T) {
		readme := readFile(t, k8sReadmeFile)
		if !strings.Contains(readme, kustomizeApply) {
			t.Errorf("README.md: no %q", kustomizeApply)
		}
		kust, err := parseYAML(readFile(t, filepath.Join(kustomizeDir, "kustomization.yaml")))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range listAt(kust, "resources") {
			if !strings.Contains(readme, fmt.Sprint(f)) {
				t.Errorf("README.md does not describe %s", f)
			}
		}
		secrets := readmeSection(t, "Secrets")
		for k := range secretKeys {
			name, key, _ := strings.Cut(k, "/")
			if !strings.Contains(secrets, name) || !strings.Contains(secrets, key) {
				t.Errorf("README.md's Secrets section does not say how to make Secret %s with key %s", name, key)
			}
		}
	})
}

// checkConfig parses the ConfigMap's config file as vigil serve would
// (app.ParseConfig, the pod's environment applied), and checks that the
// container runs with it.
func checkConfig(t *testing.T, cm *corev1.ConfigMap, vigil *corev1.Container, env map[string]string) app.Config {
	t.Helper()
	if len(vigil.Command) != 0 || len(vigil.Args) != 3 || vigil.Args[0] != "serve" || vigil.Args[1] != "-config" {
		t.Fatalf("vigil container: want args [serve -config FILE] (the image's entrypoint is vigil), have %v %v", vigil.Command, vigil.Args)
	}
	file := vigil.Args[2]
	dir, name := path.Split(file)
	mount := mountAt(vigil, path.Clean(dir))
	if mount == nil {
		t.Fatalf("config %s: no volume mounted at %s", file, dir)
	}
	raw, ok := cm.Data[name]
	if !ok {
		t.Fatalf("config %s: ConfigMap %s has no key %s", file, cm.Name, name)
	}
	// Optional Secrets may be missing: the config must be valid without
	// them too.
	for _, e := range vigil.Env {
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && r.SecretKeyRef.Optional != nil && *r.SecretKeyRef.Optional {
			continue
		}
		t.Setenv(e.Name, env[e.Name])
	}
	if _, err := app.ParseConfig(file, []byte(raw)); err != nil {
		t.Fatalf("the pod's config (%s with its environment, optional Secrets missing): %v", file, err)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := app.ParseConfig(file, []byte(raw))
	if err != nil {
		t.Fatalf("the pod's config (%s with its environment): %v", file, err)
	}
	if cfg.Demo.Enabled {
		t.Errorf("the demo site is on")
	}
	// Overrides of string fields took effect: their names are right.
	for _, f := range []struct{ env, field, value string }{
		{"VIGIL_EVIDENCE_ORIGIN", "evidence.origin", cfg.Evidence.Origin},
		{"VIGIL_EVIDENCE_KEY_DIR", "evidence.key_dir", cfg.Evidence.KeyDir},
		{"VIGIL_ALERTS_WEBHOOK_SECRET", "alerts.webhook_secret", cfg.Alerts.WebhookSecret},
		{"VIGIL_ALERTS_WEBHOOK_URL", "alerts.webhook_url", cfg.Alerts.WebhookURL},
	} {
		if v, ok := env[f.env]; ok && f.value != v {
			t.Errorf("%s %q was not set from %s %q", f.field, f.value, f.env, v)
		}
	}
	return cfg
}

// podConfig is the config the pod named pod runs with: the ConfigMap's
// file with that pod's environment (set with t.Setenv: call it in a
// subtest, which restores the first pod's).
func podConfig(t *testing.T, cm *corev1.ConfigMap, vigil *corev1.Container, pod string) app.Config {
	t.Helper()
	file := vigil.Args[2]
	for k, v := range podEnv(t, vigil, pod) {
		t.Setenv(k, v)
	}
	cfg, err := app.ParseConfig(file, []byte(cm.Data[path.Base(file)]))
	if err != nil {
		t.Fatalf("pod %s's config: %v", pod, err)
	}
	return cfg
}

func mountAt(c *corev1.Container, dir string) *corev1.VolumeMount {
	for i, m := range c.VolumeMounts {
		if path.Clean(m.MountPath) == dir {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

// mountOf is the mount a file lies under.
func mountOf(c *corev1.Container, file string) *corev1.VolumeMount {
	for i, m := range c.VolumeMounts {
		if strings.HasPrefix(file, path.Clean(m.MountPath)+"/") {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

func containerPortNumber(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	cp, ok := containerPort(c, intstr.FromString(name), corev1.ProtocolTCP)
	if !ok {
		t.Fatalf("container %s has no TCP port %s", c.Name, name)
	}
	return cp.ContainerPort
}

// oneVigilPerNode: a required anti-affinity keeps two Vigil pods off one
// node.
func oneVigilPerNode(pod *corev1.PodSpec, podLabels labels.Set) bool {
	if pod.Affinity == nil || pod.Affinity.PodAntiAffinity == nil {
		return false
	}
	for _, term := range pod.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
		sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
		if err == nil && !sel.Empty() && sel.Matches(podLabels) && term.TopologyKey == "kubernetes.io/hostname" {
			return true
		}
	}
	return false
}

// checkVolumes: the data directory is a node-local claim per pod; every
// mount has its volume; the config and TLS files are where the config
// says. The evidence key: checkEvidenceKey.
func checkVolumes(t *testing.T, b *bundle, sts *appsv1.StatefulSet, cfg app.Config) {
	pod := &sts.Spec.Template.Spec
	vigil := container(t, pod, vigilContainer, false)
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	claims := map[string]corev1.PersistentVolumeClaim{}
	for _, c := range sts.Spec.VolumeClaimTemplates {
		claims[c.Name] = c
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		for _, m := range c.VolumeMounts {
			v, isVol := volumes[m.Name]
			_, isClaim := claims[m.Name]
			switch {
			case !isVol && !isClaim:
				t.Errorf("container %s mounts %s, which is no volume or claim", c.Name, m.Name)
			case isVol && v.ConfigMap != nil && b.configMaps[v.ConfigMap.Name] == nil:
				t.Errorf("volume %s: ConfigMap %s is not here", v.Name, v.ConfigMap.Name)
			case isVol && v.Secret != nil && !slices.ContainsFunc(slices.Collect(maps.Keys(secretKeys)), func(k string) bool {
				return strings.HasPrefix(k, v.Secret.SecretName+"/")
			}):
				t.Errorf("volume %s: Secret %s is not in secretKeys (and README.md)", v.Name, v.Secret.SecretName)
			case !m.ReadOnly && isVol && (v.Secret != nil || v.ConfigMap != nil):
				t.Errorf("container %s: mount %s read-only", c.Name, m.Name)
			}
		}
	}

	// DATA_DIR: the claim, node-local, one writer.
	dataMount := mountAt(vigil, path.Clean(cfg.DataDir))
	if dataMount == nil {
		t.Fatalf("data_dir %s: nothing is mounted there", cfg.DataDir)
	}
	claim, ok := claims[dataMount.Name]
	if !ok {
		t.Fatalf("data_dir %s: mount %s is not a volumeClaimTemplate (each pod needs its own disk)", cfg.DataDir, dataMount.Name)
	}
	if !slices.Equal(claim.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("claim %s: access modes %v, want [ReadWriteOnce]", claim.Name, claim.Spec.AccessModes)
	}
	size := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if size.IsZero() {
		t.Errorf("claim %s: no storage request", claim.Name)
	}
	if claim.Spec.StorageClassName == nil {
		t.Fatalf("claim %s: no storageClassName (the cluster's default class is rarely node-local)", claim.Name)
	}
	sc, ok := b.storageClasses[*claim.Spec.StorageClassName]
	if !ok {
		t.Fatalf("claim %s: StorageClass %s is not here", claim.Name, *claim.Spec.StorageClassName)
	}
	if sc.Provisioner != "kubernetes.io/no-provisioner" || sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
		t.Errorf("StorageClass %s: want local volumes (no-provisioner) bound when the pod is scheduled (WaitForFirstConsumer)", sc.Name)
	}
	if sc.ReclaimPolicy == nil || *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("StorageClass %s: reclaimPolicy must be Retain (footage outlives a claim)", sc.Name)
	}
	if p := sts.Spec.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType ||
		p.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("StatefulSet: claims must be retained when scaled down or deleted")
	}

	// The example local volume fits the claim.
	var pv corev1.PersistentVolume
	j, err := sigsyaml.YAMLToJSON([]byte(readFile(t, localPVExample)))
	if err != nil {
		t.Fatal(err)
	}
	if strict, err := sigsjson.UnmarshalStrict(j, &pv); err != nil || len(strict) > 0 {
		t.Fatalf("%s: %v %v", localPVExample, err, strict)
	}
	pvSize := pv.Spec.Capacity[corev1.ResourceStorage]
	if pv.Kind != "PersistentVolume" || pv.Spec.StorageClassName != sc.Name || pv.Spec.Local == nil || pv.Spec.NodeAffinity == nil ||
		pv.Spec.NodeAffinity.Required == nil || !slices.Contains(pv.Spec.AccessModes, corev1.ReadWriteOnce) || pvSize.Cmp(size) < 0 ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("%s: want a local PersistentVolume of class %s, pinned to a node, ReadWriteOnce, Retain, at least %s", localPVExample, sc.Name, size.String())
	}

	// TLS files from a Secret volume.
	for _, f := range []string{cfg.TLS.CertFile, cfg.TLS.KeyFile} {
		m := mountOf(vigil, f)
		if f == "" || m == nil || volumes[m.Name].Secret == nil {
			t.Errorf("TLS file %q: want it from a Secret volume", f)
			continue
		}
		if _, ok := secretKeys[volumes[m.Name].Secret.SecretName+"/"+path.Base(f)]; !ok {
			t.Errorf("TLS file %s: Secret %s key %s is not in secretKeys", f, volumes[m.Name].Secret.SecretName, path.Base(f))
		}
	}
}

// checkEvidenceKey: the cluster's one key pair comes from the Secret
// evidenceKeys, which only the init container mounts; it installs the
// pair, on every start, where vigil reads it (evidence.key_dir), with a
// mode evidence/locker accepts. The init container's script is run here
// on a stand-in for the Secret, and its result loaded by the log's own
// LoadSigner.
func checkEvidenceKey(t *testing.T, sts *appsv1.StatefulSet, cfg app.Config) {
	pod := &sts.Spec.Template.Spec
	vigil := container(t, pod, vigilContainer, false)
	ik := container(t, pod, evidenceKeyInit, true)
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	isKeySecret := func(m corev1.VolumeMount) bool {
		v := volumes[m.Name]
		return v.Secret != nil && v.Secret.SecretName == evidenceKeys
	}

	// Only the init container reads the Secret.
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		if c.Name != ik.Name && slices.ContainsFunc(c.VolumeMounts, isKeySecret) {
			t.Errorf("container %s mounts the Secret %s: only the init container %s needs it", c.Name, evidenceKeys, ik.Name)
		}
		for _, e := range c.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil && r.SecretKeyRef.Name == evidenceKeys {
				t.Errorf("container %s: env %s from the Secret %s", c.Name, e.Name, evidenceKeys)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == evidenceKeys {
				t.Errorf("container %s: environment from the Secret %s", c.Name, evidenceKeys)
			}
		}
	}
	i := slices.IndexFunc(ik.VolumeMounts, isKeySecret)
	if i < 0 {
		t.Fatalf("init container %s: does not mount the Secret %s", ik.Name, evidenceKeys)
	}
	secretMount := ik.VolumeMounts[i]
	sv := volumes[secretMount.Name].Secret
	if sv.DefaultMode == nil || *sv.DefaultMode&0o007 != 0 || len(sv.Items) != 0 || sv.Optional != nil && *sv.Optional {
		t.Errorf("volume %s: want the whole Secret %s, required, with no permission for others (defaultMode)", secretMount.Name, evidenceKeys)
	}

	// vigil reads the key from key_dir: an in-memory emptyDir, filled by
	// the init container. Not the Secret itself: with fsGroup the kubelet
	// makes a Secret's files group-readable whatever defaultMode says
	// (kubernetes/kubernetes#57923), and the log refuses such a key. Not
	// the data volume either: the Secret is the source of truth, and the
	// key would outlive it on the node's disk.
	keyDir := cfg.Evidence.KeyDir
	if keyDir == "" {
		keyDir = locker.KeyDir(path.Join(cfg.DataDir, "evidence"))
	}
	vm := mountAt(vigil, path.Clean(keyDir))
	if vm == nil {
		t.Fatalf("evidence.key_dir %s: nothing is mounted there in the vigil container", keyDir)
	}
	kv := volumes[vm.Name]
	switch {
	case kv.Secret != nil:
		t.Fatalf("evidence.key_dir %s is Secret volume %s: with the pod's fsGroup its files are group-readable (kubernetes#57923) and owned by root, and evidence/locker refuses a key readable by the group", keyDir, vm.Name)
	case kv.EmptyDir == nil || kv.EmptyDir.Medium != corev1.StorageMediumMemory:
		t.Errorf("evidence.key_dir %s: volume %s, want an in-memory emptyDir the init container fills from the Secret on every start", keyDir, vm.Name)
	}
	if !vm.ReadOnly || vm.SubPath != "" {
		t.Errorf("vigil container: mount %s at %s read-only and whole (vigil only reads the key)", vm.Name, keyDir)
	}
	i = slices.IndexFunc(ik.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == vm.Name })
	if i < 0 {
		t.Fatalf("init container %s: does not mount %s, the key_dir volume", ik.Name, vm.Name)
	}
	keyMount := ik.VolumeMounts[i]
	if keyMount.ReadOnly || keyMount.SubPath != "" {
		t.Errorf("init container %s: mount %s whole and writable", ik.Name, keyMount.Name)
	}
	if len(ik.VolumeMounts) != 2 {
		t.Errorf("init container %s: mounts %d volumes; it needs the Secret and key_dir only (never the data volume: the key stays off the disk)", ik.Name, len(ik.VolumeMounts))
	}
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		if c.Name != ik.Name && c.Name != vigil.Name && slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == vm.Name }) {
			t.Errorf("container %s mounts %s, the installed evidence key", c.Name, vm.Name)
		}
	}
	// The key is 0600 and the init container's: vigil must run as the
	// same user to read it.
	for _, c := range []*corev1.Container{ik, vigil} {
		if sc := c.SecurityContext; sc != nil && (sc.RunAsUser != nil || sc.RunAsGroup != nil) {
			t.Errorf("container %s: runs as its own user or group; the key the init container writes (0600) must be readable by vigil: use the pod's", c.Name)
		}
	}

	// Run the script: on a stand-in for the Secret (the mode the kubelet
	// gives it with fsGroup) and for key_dir.
	if len(ik.Command) != 3 || ik.Command[0] != "/bin/sh" || ik.Command[1] != "-c" || len(ik.Args) != 0 {
		t.Fatalf("init container %s: want command [/bin/sh -c SCRIPT], have %v %v", ik.Name, ik.Command, ik.Args)
	}
	tmp := t.TempDir()
	src, dst := filepath.Join(tmp, "secret"), filepath.Join(tmp, "key")
	if err := os.Mkdir(dst, 0o777); err != nil {
		t.Fatal(err)
	}
	// Longest first: one mount path may be the other's prefix.
	paths := [][2]string{{path.Clean(secretMount.MountPath), src}, {path.Clean(keyMount.MountPath), dst}}
	slices.SortFunc(paths, func(a, b [2]string) int { return len(b[0]) - len(a[0]) })
	script := ik.Command[2]
	for _, p := range paths {
		if !strings.Contains(script, p[0]) {
			t.Errorf("init container %s: its script does not use %s", ik.Name, p[0])
		}
		script = strings.ReplaceAll(script, p[0], p[1])
	}
	if strings.Contains(script, path.Clean(cfg.DataDir)) {
		t.Errorf("init container %s: its script touches data_dir %s", ik.Name, cfg.DataDir)
	}
	makeSecret := func() string {
		t.Helper()
		os.RemoveAll(src)
		pub, err := locker.GenerateKey(src, cfg.Evidence.Origin)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"signing.key", "signing.pub"} {
			if err := os.Chmod(filepath.Join(src, f), 0o440); err != nil {
				t.Fatal(err)
			}
		}
		return pub
	}
	run := func() ([]byte, error) {
		cmd := exec.Command(ik.Command[0], ik.Command[1], script)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		for k, v := range podEnv(t, ik, testPod) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		return cmd.CombinedOutput()
	}
	// Twice, the Secret changed in between: the key is installed on every
	// start, so the Secret's pair is the one vigil reads.
	for round := range 2 {
		pub := makeSecret()
		if out, err := run(); err != nil {
			t.Fatalf("init container %s (start %d): %v\n%s", ik.Name, round+1, err, out)
		}
		st, err := os.Stat(filepath.Join(dst, "signing.key"))
		if err != nil {
			t.Fatalf("init container %s: no key in key_dir: %v", ik.Name, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("init container %s: installs the key with mode %v, want 0600", ik.Name, st.Mode().Perm())
		}
		s, err := locker.LoadSigner(dst)
		if err != nil {
			t.Fatalf("the installed key (start %d): %v", round+1, err)
		}
		if got, err := locker.PublicKey(dst); err != nil || got != pub || s.Name() != cfg.Evidence.Origin {
			t.Errorf("start %d: installed public key %q (%v), name %q; want the Secret's %q, named %q", round+1, got, err, s.Name(), pub, cfg.Evidence.Origin)
		}
	}
	// A Secret without the pair stops the pod.
	for _, f := range []string{"signing.key", "signing.pub"} {
		makeSecret()
		os.Remove(filepath.Join(src, f))
		if out, err := run(); err == nil {
			t.Errorf("init container %s: succeeds without %s in the Secret:\n%s", ik.Name, f, out)
		}
	}
}

// checkObjectStore: shared S3 storage is optional. The keys come from the
// optional Secret s3Secret (a cluster without S3 starts without it), and
// so does a private CA, at s3CAFile. The config shipped keeps recordings
// on the volumes; its commented-out recorder.s3 example, switched on, is
// a config vigil accepts, with the keys from the Secret (not the file).
func checkObjectStore(t *testing.T, sts *appsv1.StatefulSet, cm *corev1.ConfigMap, vigil *corev1.Container, cfg app.Config) {
	pod := &sts.Spec.Template.Spec
	for env, key := range map[string]string{"VIGIL_RECORDER_S3_ACCESS_KEY": "access-key", "VIGIL_RECORDER_S3_SECRET_KEY": "secret-key"} {
		i := slices.IndexFunc(vigil.Env, func(e corev1.EnvVar) bool { return e.Name == env })
		if i < 0 {
			t.Errorf("vigil container: no env %s (Secret %s, key %s)", env, s3Secret, key)
			continue
		}
		r := vigil.Env[i].ValueFrom
		if r == nil || r.SecretKeyRef == nil || r.SecretKeyRef.Name != s3Secret || r.SecretKeyRef.Key != key ||
			r.SecretKeyRef.Optional == nil || !*r.SecretKeyRef.Optional {
			t.Errorf("env %s: want Secret %s key %s, optional (a cluster without S3 starts without the Secret)", env, s3Secret, key)
		}
	}
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	if m := mountOf(vigil, s3CAFile); m == nil {
		t.Errorf("%s: nothing is mounted there", s3CAFile)
	} else if sv := volumes[m.Name].Secret; sv == nil || sv.SecretName != s3Secret || sv.Optional == nil || !*sv.Optional ||
		!slices.Equal(sv.Items, []corev1.KeyToPath{{Key: path.Base(s3CAFile), Path: path.Base(s3CAFile)}}) {
		t.Errorf("%s: want key %s of the Secret %s, and nothing else, optional", s3CAFile, path.Base(s3CAFile), s3Secret)
	}

	file := vigil.Args[2]
	raw := cm.Data[path.Base(file)]
	example, ok := s3Example(raw)
	if !ok {
		t.Fatalf("%s: no commented-out recorder.s3 example (a line \"  # s3:\" in recorder)", file)
	}
	if !strings.Contains(raw, s3CAFile) {
		t.Errorf("%s: the s3 example does not say where a private CA is (%s)", file, s3CAFile)
	}
	doc, err := parseYAML(example)
	if err != nil {
		t.Fatalf("%s with the s3 example uncommented: %v", file, err)
	}
	s3 := mapAt(mapAt(doc, "recorder"), "s3")
	for _, k := range []string{"access_key", "secret_key"} {
		if _, ok := s3[k]; ok {
			t.Errorf("%s: recorder.s3.%s in the example: the keys come from the Secret %s", file, k, s3Secret)
		}
	}
	if strAt(s3, "endpoint") == "" || strAt(s3, "bucket") == "" {
		t.Errorf("%s: the s3 example needs an endpoint and a bucket", file)
	}
	if v, _ := configField(reflect.ValueOf(cfg), "recorder.s3.endpoint"); v.String() != "" {
		t.Errorf("%s: recorder.s3.endpoint is %q; the shipped config keeps recordings on the volumes (the example stays commented out)", file, v.String())
	}
	// vigil's own parser and Validate, with the pod's environment (set
	// by checkConfig) and so the Secret's keys.
	sc, err := app.ParseConfig(file, []byte(example))
	if err != nil {
		t.Fatalf("%s with the s3 example uncommented: %v", file, err)
	}
	for field, want := range map[string]string{
		"recorder.s3.endpoint":   strAt(s3, "endpoint"),
		"recorder.s3.access_key": secretKeys[s3Secret+"/access-key"],
		"recorder.s3.secret_key": secretKeys[s3Secret+"/secret-key"],
	} {
		if v, ok := configField(reflect.ValueOf(sc), field); !ok || v.String() != want {
			t.Errorf("%s with the s3 example: %s is %q, want %q", file, field, v.String(), want)
		}
	}
}

// s3Example is the config file raw with its commented-out recorder.s3
// example switched on: the line "  # s3:" and the lines under it
// ("  #   ..."), without their "# ".
func s3Example(raw string) (string, bool) {
	lines := strings.Split(raw, "\n")
	found, in := false, false
	for i, l := range lines {
		switch {
		case strings.TrimRight(l, " ") == "  # s3:":
			lines[i], found, in = "  s3:", true, true
		case in && strings.HasPrefix(l, "  #   "):
			lines[i] = "  " + l[len("  # "):]
		default:
			in = false
		}
	}
	return strings.Join(lines, "\n"), found
}

// configField is the field of an app.Config at a YAML path (a.b.c).
func configField(v reflect.Value, yamlPath string) (reflect.Value, bool) {
	for _, name := range strings.Split(yamlPath, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		i := slices.IndexFunc(reflect.VisibleFields(v.Type()), func(f reflect.StructField) bool {
			return strings.Split(f.Tag.Get("yaml"), ",")[0] == name
		})
		if i < 0 {
			return reflect.Value{}, false
		}
		v = v.Field(i)
	}
	return v, true
}

// checkContainerfile: the image the StatefulSet names is what
// deploy/container/Containerfile builds: Debian 12, the cgo libraries,
// the user the pods run as, the verifier where the config looks for it.
func checkContainerfile(t *testing.T, b *bundle, sts *appsv1.StatefulSet, cfg app.Config) {
	pod := &sts.Spec.Template.Spec
	lines := containerfileLines(t)
	var froms []string
	var final []string // the last stage's instructions
	for _, l := range lines {
		if strings.HasPrefix(l, "FROM ") {
			froms = append(froms, l)
			final = nil
		}
		final = append(final, l)
	}
	if len(froms) < 2 || !regexp.MustCompile(`^FROM \S*debian:(12|bookworm)\S*`).MatchString(froms[len(froms)-1]) {
		t.Errorf("%s: want a build stage and a Debian 12 runtime stage, have %v", containerFile, froms)
	}
	all := strings.Join(final, "\n")
	for _, lib := range []string{"libavcodec59", "libswscale6", "libopencv-core406"} {
		if !strings.Contains(all, lib) {
			t.Errorf("%s: the runtime stage does not install %s (vigil's cgo decoder and analytics link it)", containerFile, lib)
		}
	}
	if uid := *pod.SecurityContext.RunAsUser; !strings.Contains(all, fmt.Sprintf("USER %d", uid)) {
		t.Errorf("%s: the image should run as the pods' user %d", containerFile, uid)
	}
	if !regexp.MustCompile(`COPY --from=\S+ \S+ ` + regexp.QuoteMeta(cfg.Evidence.VerifierDir) + `\b`).MatchString(all) {
		t.Errorf("%s: the verifiers are not copied to evidence.verifier_dir %s", containerFile, cfg.Evidence.VerifierDir)
	}
	if !strings.Contains(all, `ENTRYPOINT ["/usr/bin/vigil"]`) {
		t.Errorf(`%s: want ENTRYPOINT ["/usr/bin/vigil"] (the StatefulSet passes only the arguments)`, containerFile)
	}
	// The image is pinned: a tag, not latest.
	for _, c := range append(slices.Clone(pod.InitContainers), pod.Containers...) {
		name, tag, ok := strings.Cut(path.Base(c.Image), ":")
		if !ok || tag == "" || tag == "latest" || name != "vigil" || !strings.Contains(c.Image, "/") {
			t.Errorf("container %s: image %q, want REGISTRY/…/vigil:VERSION (kustomization images)", c.Name, c.Image)
		}
	}
}

// checkServiceMonitor checks the ServiceMonitor (Prometheus Operator,
// monitoring.coreos.com/v1) by its structure: known fields only, it picks
// the one Service that lists every node, scrapes /metrics over HTTPS with
// a bearer token from a Secret, as job "vigil" every scrape interval of
// deploy/prometheus.
func checkServiceMonitor(t *testing.T, b *bundle, vigil *corev1.Container) {
	sm := the(t, "ServiceMonitor", b.serviceMonitors)
	spec, _ := sm["spec"].(map[string]any)
	onlyKeys(t, "ServiceMonitor spec", spec, "jobLabel", "targetLabels", "podTargetLabels", "endpoints", "selector",
		"namespaceSelector", "sampleLimit", "targetLimit", "labelLimit", "attachMetadata", "scrapeClass")
	var sel metav1.LabelSelector
	raw, _ := json.Marshal(spec["selector"])
	if strict, err := sigsjson.UnmarshalStrict(raw, &sel); err != nil || len(strict) > 0 {
		t.Fatalf("ServiceMonitor selector: %v %v", err, strict)
	}
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil || s.Empty() {
		t.Fatalf("ServiceMonitor selector %v: %v", spec["selector"], err)
	}
	var picked []*corev1.Service
	for _, svc := range b.services {
		if s.Matches(labels.Set(svc.Labels)) {
			picked = append(picked, svc)
		}
	}
	if len(picked) != 1 {
		t.Fatalf("ServiceMonitor selects %d Services; want exactly one (each node scraped once)", len(picked))
	}
	svc := picked[0]
	if !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: a node that is not ready (store down) must still be scraped: publishNotReadyAddresses", svc.Name)
	}
	// job="vigil": VigilDown and the dashboard look for it.
	if jl, _ := spec["jobLabel"].(string); jl == "" || svc.Labels[jl] != "vigil" {
		t.Errorf("ServiceMonitor jobLabel %q: Service %s's value of it must be vigil (job=\"vigil\" in the alerts)", jl, svc.Name)
	}
	eps, _ := spec["endpoints"].([]any)
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor: want one endpoint, have %d", len(eps))
	}
	ep, _ := eps[0].(map[string]any)
	onlyKeys(t, "ServiceMonitor endpoint", ep, "port", "targetPort", "path", "scheme", "params", "interval", "scrapeTimeout",
		"tlsConfig", "authorization", "honorLabels", "honorTimestamps", "metricRelabelings", "relabelings", "followRedirects", "enableHttp2")
	port, _ := ep["port"].(string)
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
		cp, ok := containerPort(vigil, p.TargetPort, p.Protocol)
		return p.Name == port && ok && cp.Name == "https"
	}) {
		t.Errorf("ServiceMonitor port %q: not Service %s's port to the https container port", port, svc.Name)
	}
	if ep["path"] != "/metrics" || ep["scheme"] != "https" {
		t.Errorf("ServiceMonitor: scrapes %v %v, want https /metrics", ep["scheme"], ep["path"])
	}
	prom := readYAML(t, promConfigFile)
	want := strAt(mapAt(prom, "global"), "scrape_interval")
	for _, sc := range listAt(prom, "scrape_configs") {
		if strAt(sc, "job_name") == "vigil" && strAt(sc, "scrape_interval") != "" {
			want = strAt(sc, "scrape_interval")
		}
	}
	if ep["interval"] != want {
		t.Errorf("ServiceMonitor interval %v; the rules and the dashboard assume %s (%s)", ep["interval"], want, promConfigFile)
	}
	auth, _ := ep["authorization"].(map[string]any)
	onlyKeys(t, "ServiceMonitor authorization", auth, "type", "credentials")
	cred, _ := auth["credentials"].(map[string]any)
	onlyKeys(t, "ServiceMonitor authorization credentials", cred, "name", "key", "optional")
	if typ, _ := auth["type"].(string); typ != "Bearer" || cred == nil {
		t.Errorf("ServiceMonitor: /metrics needs a bearer token from a Secret (authorization type Bearer, credentials)")
	} else if _, ok := secretKeys[fmt.Sprint(cred["name"], "/", cred["key"])]; !ok {
		t.Errorf("ServiceMonitor token Secret %v/%v is not in secretKeys (and README.md)", cred["name"], cred["key"])
	}
	tlsc, _ := ep["tlsConfig"].(map[string]any)
	onlyKeys(t, "ServiceMonitor tlsConfig", tlsc, "ca", "cert", "keySecret", "serverName", "insecureSkipVerify")
	if tlsc["insecureSkipVerify"] == true {
		t.Errorf("ServiceMonitor: verify the nodes' certificate (a token goes with every scrape)")
	}
	ca, _ := mapAt(tlsc, "ca")["secret"].(map[string]any)
	if _, ok := secretKeys[fmt.Sprint(ca["name"], "/", ca["key"])]; !ok {
		t.Errorf("ServiceMonitor CA Secret %v/%v is not in secretKeys (and README.md)", ca["name"], ca["key"])
	}
	if sn, _ := tlsc["serverName"].(string); sn != svc.Name+"."+testNamespace+".svc" {
		t.Errorf("ServiceMonitor serverName %q: want %s.%s.svc (README.md's certificate names it)", sn, svc.Name, testNamespace)
	}
}

// onlyKeys fails on a key outside known (a typo the operator would drop).
func onlyKeys(t *testing.T, what string, m map[string]any, known ...string) {
	t.Helper()
	if m == nil {
		t.Errorf("%s: missing", what)
		return
	}
	for k := range m {
		if !slices.Contains(known, k) {
			t.Errorf("%s: unexpected field %q", what, k)
		}
	}
}

// readmeSection is the text of the "## title" section of
// kubernetes/README.md, up to the next section of that level.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	readme := readFile(t, k8sReadmeFile)
	_, rest, ok := strings.Cut(readme, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", k8sReadmeFile, title)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}
