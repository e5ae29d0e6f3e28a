package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// helmModule is the Helm command the chart is checked with, built from the
// Go module proxy like any other dependency.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.21.4"

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm builds the helm command once (into the user's cache, so later runs
// only check it is there) and returns its path. Building it takes minutes
// the first time: the test skips with -short, and skips, saying why, when
// the build cannot finish or fails (no module proxy).
func helm(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the Helm checks build the helm command (minutes the first time)")
	}
	helmOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		version := helmModule[strings.LastIndex(helmModule, "@")+1:]
		bin := filepath.Join(cache, "complaintflow", "helm-"+version)
		helmPath = filepath.Join(bin, "helm")
		if _, err := os.Stat(helmPath); err == nil {
			return
		}
		budget := 8 * time.Minute
		if d, ok := t.Deadline(); ok {
			budget = min(budget, time.Until(d)-time.Minute)
		}
		ctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "install", helmModule)
		// Outside the workspace: helm's dependencies are its own.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOBIN="+bin, "GOFLAGS=-buildvcs=false")
		out, err := cmd.CombinedOutput()
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("not built within %v", budget)
			}
			helmErr = fmt.Errorf("go install %s: %w\n%s", helmModule, err, lastLines(out, 10))
		}
	})
	if helmErr != nil {
		t.Skipf("the helm command could not be built, so the chart is not checked: %v", helmErr)
	}
	return helmPath
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func runHelm(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(helm(t), args...)
	// No user configuration or repositories: the chart needs none.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

const chart = "helm/complaintflow"

// oidcValues are the identity provider's settings the chart requires.
const oidcValues = "oidc.jwksURL=https://idp.example.com/jwks.json,oidc.issuer=https://idp.example.com/,oidc.audience=complaintflow"

// manifest is one rendered Kubernetes object, as far as the checks need it.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int        `yaml:"replicas"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
	Data map[string]string `yaml:"data"`
}

type podTemplate struct {
	Spec struct {
		Containers []struct {
			Name    string   `yaml:"name"`
			Command []string `yaml:"command"`
			Env     []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"env"`
			LivenessProbe  *probe `yaml:"livenessProbe"`
			ReadinessProbe *probe `yaml:"readinessProbe"`
			Resources      struct {
				Requests map[string]string `yaml:"requests"`
			} `yaml:"resources"`
		} `yaml:"containers"`
		Volumes []struct {
			Name   string `yaml:"name"`
			Secret *struct {
				SecretName string `yaml:"secretName"`
				Items      []struct {
					Key string `yaml:"key"`
				} `yaml:"items"`
			} `yaml:"secret"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}

// render runs helm template and parses every document it prints.
func render(t *testing.T, args ...string) []manifest {
	t.Helper()
	out := runHelm(t, append([]string{"template", "cf", chart, "--set", oidcValues}, args...)...)
	dec := yaml.NewDecoder(bytes.NewReader(out))
	var ms []manifest
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template printed a document that is not YAML: %v", err)
		}
		if m.Kind == "" {
			continue // an empty document
		}
		if m.APIVersion == "" || m.Metadata.Name == "" {
			t.Errorf("a %s without apiVersion or name", m.Kind)
		}
		ms = append(ms, m)
	}
	return ms
}

func find(ms []manifest, kind, name string) *manifest {
	for i := range ms {
		if ms[i].Kind == kind && ms[i].Metadata.Name == name {
			return &ms[i]
		}
	}
	return nil
}

func TestHelmChartLints(t *testing.T) {
	out := runHelm(t, "lint", chart, "--set", oidcValues)
	if !bytes.Contains(out, []byte("0 chart(s) failed")) {
		t.Fatalf("helm lint:\n%s", out)
	}
}

func TestHelmChartRendersTheServicesAndTheNATSCluster(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users.conf")
	if err := os.WriteFile(users, []byte("authorization { users = [] }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ms := render(t, "--set-file", `nats.configMap.merge.data.users\.conf=`+users,
		"--set-string", `policies.routing\.yaml=version: test`)

	var kinds []string
	for _, m := range ms {
		if !slices.Contains(kinds, m.Kind) {
			kinds = append(kinds, m.Kind)
		}
	}
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget", "Job", "ConfigMap", "StatefulSet"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("no %s rendered (kinds: %v)", k, kinds)
		}
	}

	// The NATS cluster: three nodes, JetStream synced on every write, the
	// users file included.
	sts := find(ms, "StatefulSet", "cf-nats")
	if sts == nil {
		t.Fatal("no NATS StatefulSet cf-nats")
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
		t.Errorf("NATS replicas %v, want 3", sts.Spec.Replicas)
	}
	natsConf := find(ms, "ConfigMap", "cf-nats-config")
	if natsConf == nil {
		t.Fatal("no NATS ConfigMap cf-nats-config")
	}
	conf := natsConf.Data["nats.conf"]
	for _, want := range []string{`"sync_interval": "always"`, "include users.conf", "cf-nats-0.cf-nats-headless", "6222"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %q:\n%s", want, conf)
		}
	}
	if natsConf.Data["users.conf"] == "" {
		t.Error("the users file given with --set-file is not in the NATS ConfigMap")
	}

	for _, svc := range services {
		d := find(ms, "Deployment", "cf-complaintflow-"+svc)
		if d == nil {
			t.Errorf("no Deployment for %s", svc)
			continue
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
			t.Errorf("%s: replicas %v, want 2", svc, d.Spec.Replicas)
		}
		if find(ms, "Service", "cf-complaintflow-"+svc) == nil || find(ms, "PodDisruptionBudget", "cf-complaintflow-"+svc) == nil {
			t.Errorf("%s: no Service or PodDisruptionBudget", svc)
		}
		pod := d.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers", svc, len(pod.Containers))
		}
		c := pod.Containers[0]
		if len(c.Command) != 1 || c.Command[0] != "/usr/local/bin/"+svc {
			t.Errorf("%s runs %v", svc, c.Command)
		}
		for name, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
				t.Errorf("%s: %s probe is not on /healthz", svc, name)
			}
		}
		if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" {
			t.Errorf("%s: no resource requests", svc)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		if env["AUTH_DEV_TOKENS"] != "false" {
			t.Errorf("%s: development tokens not off", svc)
		}
		if env["CONFIG_DIR"] == "" {
			t.Errorf("%s: the policies are not given (CONFIG_DIR)", svc)
		}
		urls := strings.Split(env["NATS_URL"], ",")
		if len(urls) != 3 {
			t.Errorf("%s: NATS_URL %q, want the three nodes", svc, env["NATS_URL"])
		}
		for _, u := range urls {
			if !strings.Contains(conf, strings.TrimSuffix(strings.TrimPrefix(u, "nats://"), ":4222")) {
				t.Errorf("%s connects to %s, which is not a node of the cluster", svc, u)
			}
		}
		// Credentials: only its own seeds, from its own Secret; the KEK
		// to intake alone; the policies from the ConfigMap.
		own := []string{svc + ".nk", svc + "-api.nk"}
		var policies bool
		for _, v := range pod.Volumes {
			if v.ConfigMap != nil && v.ConfigMap.Name == "cf-complaintflow-policies" {
				policies = true
			}
			if v.Secret == nil {
				continue
			}
			for _, it := range v.Secret.Items {
				switch {
				case strings.HasSuffix(it.Key, ".nk"):
					if !slices.Contains(own, it.Key) {
						t.Errorf("%s mounts the seed %s", svc, it.Key)
					}
					if v.Secret.SecretName != "cf-complaintflow-"+svc+"-nats" {
						t.Errorf("%s reads its seeds from %s", svc, v.Secret.SecretName)
					}
				case it.Key == "pii-kek" && svc != "intake":
					t.Errorf("%s mounts the key-encryption keys", svc)
				case it.Key == "customer-token-key.json" && svc != "intake":
					t.Errorf("%s mounts the customer-token signing key", svc)
				}
			}
		}
		if !policies {
			t.Errorf("%s does not mount the policies ConfigMap", svc)
		}
	}
	if cm := find(ms, "ConfigMap", "cf-complaintflow-policies"); cm == nil || strings.TrimSpace(cm.Data["routing.yaml"]) != "version: test" {
		t.Errorf("policies ConfigMap %+v", cm)
	}
	job := find(ms, "Job", "cf-complaintflow-provision")
	if job == nil {
		t.Fatal("no provisioning Job")
	}
	cmd := strings.Join(job.Spec.Template.Spec.Containers[0].Command, " ")
	if !strings.Contains(cmd, "complaintctl") || !strings.Contains(cmd, "-replicas 3") {
		t.Errorf("the provisioning job runs %q", cmd)
	}
}

// TestHelmChartWithoutNATS: the chart renders without the nats chart, for
// a NATS cluster run apart, naming its URLs.
func TestHelmChartWithoutNATS(t *testing.T) {
	ms := render(t, "--set", "nats.enabled=false", "--set", "natsURL=nats://a:4222\\,nats://b:4222\\,nats://c:4222")
	for _, m := range ms {
		if m.Kind == "StatefulSet" {
			t.Errorf("a StatefulSet %s with nats.enabled=false", m.Metadata.Name)
		}
	}
	d := find(ms, "Deployment", "cf-complaintflow-intake")
	if d == nil {
		t.Fatal("no intake Deployment")
	}
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "NATS_URL" && e.Value != "nats://a:4222,nats://b:4222,nats://c:4222" {
			t.Errorf("NATS_URL %q", e.Value)
		}
	}
}
