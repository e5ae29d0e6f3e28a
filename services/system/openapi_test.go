package system_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/testkit"
	"github.com/complaintflow/complaintflow/services/system"
)

// The API is documented in docs/api/*.openapi.yaml, one file per service plus
// one for what every process serves. These tests keep the documents and the
// code in step: every route the code registers is documented and every
// documented operation is served; the running system answers only with
// documented statuses, content types and bodies matching the documented
// schemas field for field. The schemas are checked by libopenapi-validator
// (openapi_validate_test.go): every request the test sends and every answer
// the system gives, and every example in the documents.

const oaDocsGlob = "../../docs/api/*.openapi.yaml"

// oaFallbackDetail starts the detail of the host's answer to a request no
// service route matched.
const oaFallbackDetail = "no route for "

var oaMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

type oaDoc struct {
	file string
	root map[string]any
}

type oaOperation struct {
	doc    *oaDoc
	method string // GET, POST, ...
	path   string // /v1/cases/{id}
	op     map[string]any
}

func (o oaOperation) key() string { return o.method + " " + o.path }

// pages says whether a document describes pages for people (x-pages: true,
// the browser pages under /app/): HTML and form posts, not the JSON contract.
func (d *oaDoc) pages() bool { return d.root["x-pages"] == true }

// oaLoad parses every API document and lists their operations.
func oaLoad(t *testing.T) ([]*oaDoc, map[string]oaOperation) {
	t.Helper()
	files, err := filepath.Glob(oaDocsGlob)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no API document matches %s", oaDocsGlob)
	}
	sort.Strings(files)
	var docs []*oaDoc
	ops := map[string]oaOperation{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		root, ok := oaNormalise(v).(map[string]any)
		if !ok {
			t.Fatalf("%s: not a YAML mapping", f)
		}
		d := &oaDoc{file: filepath.Base(f), root: root}
		docs = append(docs, d)
		paths, _ := root["paths"].(map[string]any)
		for p, item := range paths {
			im, _ := item.(map[string]any)
			for _, m := range oaMethods {
				op, ok := im[m].(map[string]any)
				if !ok {
					continue
				}
				o := oaOperation{doc: d, method: strings.ToUpper(m), path: p, op: op}
				if prev, dup := ops[o.key()]; dup {
					t.Errorf("%s is documented twice: in %s and %s", o.key(), prev.doc.file, d.file)
				}
				ops[o.key()] = o
			}
		}
	}
	return docs, ops
}

// oaNormalise turns YAML mappings with non-string keys (an unquoted status
// code) into string-keyed maps, so that every mapping is a map[string]any.
func oaNormalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = oaNormalise(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = oaNormalise(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = oaNormalise(e)
		}
		return x
	default:
		return v
	}
}

// resolve follows a local "$ref" (a JSON pointer into the same document).
func (d *oaDoc) resolve(v any) (map[string]any, error) {
	for range 32 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: expected a mapping, got %T", d.file, v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		pointer, local := strings.CutPrefix(ref, "#/")
		if !local {
			return nil, fmt.Errorf("%s: $ref %q is not local to the document", d.file, ref)
		}
		var cur any = d.root
		for _, part := range strings.Split(pointer, "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			cm, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: $ref %q does not resolve", d.file, ref)
			}
			if cur, ok = cm[part]; !ok {
				return nil, fmt.Errorf("%s: $ref %q does not resolve", d.file, ref)
			}
		}
		v = cur
	}
	return nil, fmt.Errorf("%s: $ref cycle", d.file)
}

// parameters returns the operation's parameters, path-level ones included.
func (o oaOperation) parameters() ([]map[string]any, error) {
	var out []map[string]any
	item, _ := o.doc.root["paths"].(map[string]any)[o.path].(map[string]any)
	for _, src := range []any{item["parameters"], o.op["parameters"]} {
		list, _ := src.([]any)
		for _, p := range list {
			pm, err := o.doc.resolve(p)
			if err != nil {
				return nil, err
			}
			out = append(out, pm)
		}
	}
	return out, nil
}

// requestExample is the documented example body, or nil without a body.
func (o oaOperation) requestExample() (schema any, example []byte, err error) {
	rb, ok := o.op["requestBody"]
	if !ok {
		return nil, nil, nil
	}
	body, err := o.doc.resolve(rb)
	if err != nil {
		return nil, nil, err
	}
	content, _ := body["content"].(map[string]any)
	media, ok := content["application/json"].(map[string]any)
	if !ok || len(content) != 1 {
		return nil, nil, fmt.Errorf("%s: request body must be application/json only", o.key())
	}
	ex, ok := media["example"]
	if !ok || media["schema"] == nil {
		return nil, nil, fmt.Errorf("%s: request body needs a schema and an example", o.key())
	}
	b, err := json.Marshal(ex)
	return media["schema"], b, err
}

// response returns the documented response for a status code.
func (o oaOperation) response(status int) (map[string]any, bool, error) {
	responses, _ := o.op["responses"].(map[string]any)
	r, ok := responses[strconv.Itoa(status)]
	if !ok {
		return nil, false, nil
	}
	m, err := o.doc.resolve(r)
	return m, true, err
}

// oaRegisteredRoutes lists the method-and-path patterns the Go sources of the
// services register on a ServeMux. A pattern without a method is allowed only
// for the host's "/" fallback. The profiling routes under /debug/pprof/ are
// served on DEBUG_ADDR, never on the API's address, and are not the API.
func oaRegisteredRoutes(t *testing.T) map[string]string {
	t.Helper()
	pattern := regexp.MustCompile(`\.Handle(?:Func)?\(\s*"([^"]*)"`)
	routes := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || (strings.HasPrefix(name, ".") && path != "..") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			if strings.HasPrefix(m[1], "/debug/pprof/") {
				continue
			}
			method, route, ok := strings.Cut(m[1], " ")
			if !ok {
				if m[1] != "/" {
					t.Errorf("%s registers %q without a method; register one route per method", path, m[1])
				}
				continue
			}
			// "/app/{$}" is Go's way to match "/app/" exactly.
			routes[method+" "+strings.TrimSuffix(strings.TrimSpace(route), "{$}")] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) == 0 {
		t.Fatal("found no registered route in the services' sources")
	}
	return routes
}

func TestOpenAPIDocumentsEveryRegisteredRoute(t *testing.T) {
	docs, ops := oaLoad(t)
	registered := oaRegisteredRoutes(t)

	for key, file := range registered {
		if _, ok := ops[key]; !ok {
			t.Errorf("%s (registered in %s) is not documented in docs/api", key, file)
		}
	}
	for key, o := range ops {
		if _, ok := registered[key]; !ok {
			t.Errorf("%s is documented in %s but no service registers it", key, o.doc.file)
		}
	}

	var problem, fieldError any
	ids := map[string]string{}
	for _, d := range docs {
		if v, _ := d.root["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
			t.Errorf("%s: openapi is %q, want 3.1.x", d.file, v)
		}
		info, _ := d.root["info"].(map[string]any)
		if info["title"] == nil || info["version"] == nil {
			t.Errorf("%s: info needs a title and a version", d.file)
		}
		oaCheckRefs(t, d, d.root, "")
		schemas, _ := d.root["components"].(map[string]any)["schemas"].(map[string]any)
		if d.pages() {
			continue
		}
		for name, want := range map[string]*any{"Problem": &problem, "FieldError": &fieldError} {
			got, ok := schemas[name]
			switch {
			case !ok:
				t.Errorf("%s: lacks the shared %s schema", d.file, name)
			case *want == nil:
				*want = got
			case !reflect.DeepEqual(got, *want):
				t.Errorf("%s: the %s schema differs from the other documents'; it is shared and must be identical", d.file, name)
			}
		}
	}

	for _, o := range ops {
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", o.key())
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %s used by %s and %s", id, prev, o.key())
		}
		ids[id] = o.key()
		if o.doc.pages() {
			oaCheckPage(t, o)
			continue
		}
		oaCheckOperation(t, o)
	}

	submit, ok := ops["POST /v1/complaints"]
	if !ok {
		t.Fatal("POST /v1/complaints is not documented")
	}
	params, err := submit.parameters()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range params {
		found = found || (p["in"] == "header" && p["name"] == "Idempotency-Key")
	}
	if !found {
		t.Error("POST /v1/complaints does not document the Idempotency-Key header")
	}
}

// oaCheckRefs reports every "$ref" that does not resolve.
func oaCheckRefs(t *testing.T, d *oaDoc, v any, at string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"].(string); ok {
			if _, err := d.resolve(x); err != nil {
				t.Errorf("%s at %s", err, at)
			}
		}
		for k, e := range x {
			oaCheckRefs(t, d, e, at+"/"+k)
		}
	case []any:
		for i, e := range x {
			oaCheckRefs(t, d, e, at+"/"+strconv.Itoa(i))
		}
	}
}

var oaPathParam = regexp.MustCompile(`\{([^}]+)\}`)

// oaCheckPage checks an operation of a page for people: an HTML page or a
// redirect for every answer, a form body for a post.
func oaCheckPage(t *testing.T, o oaOperation) {
	t.Helper()
	if rb, ok := o.op["requestBody"]; ok {
		body, err := o.doc.resolve(rb)
		if err != nil {
			t.Error(err)
		} else if content, _ := body["content"].(map[string]any); len(content) != 1 || content["application/x-www-form-urlencoded"] == nil {
			t.Errorf("%s: a page's request body must be a form (application/x-www-form-urlencoded)", o.key())
		}
	}
	responses, _ := o.op["responses"].(map[string]any)
	if len(responses) == 0 {
		t.Errorf("%s: no responses documented", o.key())
	}
	for code := range responses {
		status, err := strconv.Atoi(code)
		if err != nil || status < 100 || status > 599 {
			t.Errorf("%s: response %q is not a status code", o.key(), code)
			continue
		}
		r, _, err := o.response(status)
		if err != nil {
			t.Errorf("%s %d: %v", o.key(), status, err)
			continue
		}
		if d, _ := r["description"].(string); d == "" {
			t.Errorf("%s %d: no description", o.key(), status)
		}
		content, _ := r["content"].(map[string]any)
		if _, html := content["text/html"]; len(content) > 1 || len(content) == 1 && !html {
			t.Errorf("%s %d: a page answers text/html or nothing", o.key(), status)
		}
	}
}

// oaCheckOperation checks one operation's parameters, body, responses and
// examples.
func oaCheckOperation(t *testing.T, o oaOperation) {
	t.Helper()
	params, err := o.parameters()
	if err != nil {
		t.Errorf("%s: %v", o.key(), err)
		return
	}
	inPath := map[string]bool{}
	for _, p := range params {
		if p["in"] == "path" {
			inPath[fmt.Sprint(p["name"])] = true
			if p["required"] != true {
				t.Errorf("%s: path parameter %v must be required", o.key(), p["name"])
			}
		}
	}
	for _, m := range oaPathParam.FindAllStringSubmatch(o.path, -1) {
		if !inPath[m[1]] {
			t.Errorf("%s: path parameter {%s} is not declared", o.key(), m[1])
		}
		delete(inPath, m[1])
	}
	for name := range inPath {
		t.Errorf("%s: declares path parameter %s that the path lacks", o.key(), name)
	}

	schema, example, err := o.requestExample()
	if err != nil {
		t.Error(err)
	} else if schema != nil {
		oaCheckRequestExample(t, o, example)
	}

	responses, _ := o.op["responses"].(map[string]any)
	if len(responses) == 0 {
		t.Errorf("%s: no responses documented", o.key())
	}
	for code := range responses {
		status, err := strconv.Atoi(code)
		if err != nil || status < 100 || status > 599 {
			t.Errorf("%s: response %q is not a status code", o.key(), code)
			continue
		}
		r, _, err := o.response(status)
		if err != nil {
			t.Errorf("%s %d: %v", o.key(), status, err)
			continue
		}
		if d, _ := r["description"].(string); d == "" {
			t.Errorf("%s %d: no description", o.key(), status)
		}
		content, _ := r["content"].(map[string]any)
		want := "application/json"
		if status >= 400 {
			want = "application/problem+json"
		}
		if _, html := content["text/html"]; html && status < 400 && len(content) == 1 {
			continue // a page for people (GET /reports), not part of the JSON contract
		}
		media, ok := content[want].(map[string]any)
		_, csv := content["text/csv"]
		if !ok || len(content) != 1 && !(status < 400 && csv && len(content) == 2) {
			t.Errorf("%s %d: content must be %s only (a report may add text/csv)", o.key(), status, want)
			continue
		}
		if status >= 400 {
			if ref, _ := media["schema"].(map[string]any)["$ref"].(string); ref != "#/components/schemas/Problem" {
				t.Errorf("%s %d: errors must use the shared Problem schema", o.key(), status)
			}
		}
		if ex, ok := media["example"]; ok {
			b, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			oaCheckResponseExample(t, o, status, want, b)
		}
	}
}

// oaResponse is one answer of the running system.
type oaResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r oaResponse) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

// oaClient sends requests for documented operations and checks each answer
// against the documents.
type oaClient struct {
	t    *testing.T
	base string
	ops  map[string]oaOperation
	seen map[string]map[int]bool
}

// call sends a request for operation key (e.g. "GET /v1/cases/{id}") with the
// path parameters filled in order, and checks the answer.
func (c *oaClient) call(key string, body []byte, headers map[string]string, params ...string) oaResponse {
	c.t.Helper()
	o, ok := c.ops[key]
	if !ok {
		c.t.Fatalf("%s is not documented", key)
	}
	path := o.path
	for _, p := range params {
		loc := oaPathParam.FindStringIndex(path)
		if loc == nil {
			c.t.Fatalf("%s: more parameters than the path has", key)
		}
		path = path[:loc[0]] + p + path[loc[1]:]
	}
	if oaPathParam.MatchString(path) {
		c.t.Fatalf("%s: path parameters left unfilled", key)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(o.method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+testTokens[string(roleFor(o.method, path))])
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", o.method, path, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatal(err)
	}
	r := oaResponse{status: resp.StatusCode, header: resp.Header, body: data}
	c.check(o, o.method+" "+path, req, body, r)
	return r
}

// check checks an answer: a documented status and content type, and, by
// libopenapi-validator, the request sent and the answer given against the
// operation's document.
func (c *oaClient) check(o oaOperation, request string, req *http.Request, body []byte, r oaResponse) {
	c.t.Helper()
	if c.seen[o.key()] == nil {
		c.seen[o.key()] = map[int]bool{}
	}
	c.seen[o.key()][r.status] = true
	if d, _ := r.json()["detail"].(string); r.status == http.StatusNotFound && strings.HasPrefix(d, oaFallbackDetail) {
		c.t.Errorf("%s: no service serves it (%s); yet it is documented as %s in %s", request, d, o.key(), o.doc.file)
		return
	}
	spec, ok, err := o.response(r.status)
	if err != nil {
		c.t.Fatal(err)
	}
	if !ok {
		c.t.Errorf("%s answered %d, which %s does not document for %s: %s", request, r.status, o.doc.file, o.key(), r.body)
		return
	}
	content, _ := spec["content"].(map[string]any)
	if len(content) == 0 {
		if len(r.body) > 0 {
			c.t.Errorf("%s answered %d with a body the document does not describe: %s", request, r.status, r.body)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if _, ok := content[mt]; !ok {
		c.t.Errorf("%s answered %d as %q; documented: %v", request, r.status, mt, reflect.ValueOf(content).MapKeys())
		return
	}
	if mt == "text/html" || mt == "text/csv" {
		return // checked by the report tests, not against a JSON schema
	}
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		c.t.Errorf("%s answered %d with a body that is not JSON: %v: %s", request, r.status, err, r.body)
		return
	}
	for _, e := range oaCheckExchange(c.t, o, req, body, r) {
		c.t.Errorf("%s answered %d; the exchange is not as documented in %s: %s\n%s", request, r.status, o.doc.file, e, r.body)
	}
}

// eventually repeats a GET until it answers 200 and ok accepts the body.
func (c *oaClient) eventually(key string, ok func(map[string]any) bool, params ...string) map[string]any {
	c.t.Helper()
	var body map[string]any
	testkit.EventuallyNil(c.t, func() error {
		last := c.call(key, nil, nil, params...)
		if last.status == http.StatusOK {
			if body = last.json(); ok == nil || ok(body) {
				return nil
			}
		}
		return fmt.Errorf("%s %v never got there; last answer %d: %s", key, params, last.status, last.body)
	})
	return body
}

func oaRandomUUID(t *testing.T) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func oaBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenAPIMatchesTheRunningSystem(t *testing.T) {
	_, ops := oaLoad(t)
	dataDir := t.TempDir()
	writeTestTokens(t, dataDir)
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: dataDir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "complaints-openapi-test", system.Services(intake.Config{Regime: "default", ConfigDir: fastPolicies})...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c := &oaClient{t: t, base: "http://" + s.Addr(), ops: ops, seen: map[string]map[int]bool{}}

	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// Every documented operation, with ids that name nothing and with the
	// documented example body; then, for operations with a body, bodies that
	// are refused.
	const probeField = "openapi_probe_unknown_field"
	for _, key := range keys {
		o := ops[key]
		if o.doc.pages() {
			continue // pages for people: the browser tests of package web drive them
		}
		_, example, err := o.requestExample()
		if err != nil {
			t.Fatal(err)
		}
		params := make([]string, len(oaPathParam.FindAllString(o.path, -1)))
		for i := range params {
			params[i] = oaRandomUUID(t)
		}
		c.call(key, example, nil, params...)
		if example == nil {
			continue
		}
		r := c.call(key, []byte(`{"`+probeField+`": 1}`), nil, params...)
		if errs, _ := r.json()["errors"].([]any); r.status != http.StatusBadRequest || len(errs) == 0 ||
			errs[0].(map[string]any)["field"] != probeField {
			t.Errorf("%s with an unknown field: %d %s, want 400 naming %s", key, r.status, r.body, probeField)
		}
		if r := c.call(key, []byte(`{"a":`), nil, params...); r.status != http.StatusBadRequest {
			t.Errorf("%s with malformed JSON: %d %s, want 400", key, r.status, r.body)
		}
		big := append(append([]byte(`{"`+probeField+`": "`), bytes.Repeat([]byte("x"), 1<<20+1)...), `"}`...)
		if r := c.call(key, big, nil, params...); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a body over 1 MiB: %d %s, want 413", key, r.status, r.body)
		}
	}

	// A complaint walked from submission to closed through the documented
	// operations, every answer checked against the documents.
	complaint := map[string]any{
		"customer":        map[string]any{"id": "c-openapi", "name": "Ann Lee", "email": "ann@example.com"},
		"channel":         "web",
		"product":         "broadband",
		"description":     "No service for 3 days",
		"desired_outcome": "refund for the days without service",
	}
	key := map[string]string{"Idempotency-Key": "openapi-" + oaRandomUUID(t)}
	r := c.call("POST /v1/complaints", oaBody(t, complaint), key)
	if r.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	id, _ := r.json()["id"].(string)
	if r2 := c.call("POST /v1/complaints", oaBody(t, complaint), key); r2.status != http.StatusCreated ||
		r2.header.Get("Idempotent-Replayed") != "true" || r2.json()["id"] != id {
		t.Errorf("retried submit: %d %v %s", r2.status, r2.header, r2.body)
	}
	complaint["description"] = "Another problem"
	if r3 := c.call("POST /v1/complaints", oaBody(t, complaint), key); r3.status != http.StatusUnprocessableEntity {
		t.Errorf("submit reusing the key for another complaint: %d %s", r3.status, r3.body)
	}
	if r4 := c.call("POST /v1/complaints", oaBody(t, complaint), map[string]string{"Idempotency-Key": strings.Repeat("k", 201)}); r4.status != http.StatusBadRequest {
		t.Errorf("submit with an over-long Idempotency-Key: %d %s", r4.status, r4.body)
	}

	c.eventually("GET /v1/cases/{id}", nil, id)
	c.call("GET /v1/complaints/{id}", nil, nil, id)
	if r := c.call("POST /v1/cases/{id}/assignment", oaBody(t, map[string]any{"team": "network-escalations", "agent": "a-7"}), nil, id); r.status != http.StatusOK || r.json()["transfers"] != float64(1) {
		t.Errorf("transfer: %d %s", r.status, r.body)
	}
	resolve := map[string]any{"outcome": "upheld", "root_cause": "network.outage", "summary": "Exchange fault fixed; credit applied", "agent": "a-7"}
	if r := c.call("POST /v1/cases/{id}/resolution", oaBody(t, resolve), nil, id); r.status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	if r := c.call("POST /v1/cases/{id}/resolution", oaBody(t, map[string]any{"outcome": "rejected", "root_cause": "network.outage"}), nil, id); r.status != http.StatusConflict {
		t.Errorf("resolve again differently: %d %s", r.status, r.body)
	}
	if r := c.call("POST /v1/cases/{id}/assignment", oaBody(t, map[string]any{"team": "billing"}), nil, id); r.status != http.StatusConflict {
		t.Errorf("transfer a resolved case: %d %s", r.status, r.body)
	}
	c.eventually("GET /v1/redress/{id}", func(b map[string]any) bool { return b["status"] == "issued" }, id)
	c.eventually("GET /v1/followups/{id}", nil, id)
	answer := map[string]any{"csat": 5, "effort": 2, "resolved": true, "comment": "Thanks"}
	if r := c.call("POST /v1/followups/{id}/answer", oaBody(t, answer), nil, id); r.status != http.StatusOK {
		t.Fatalf("answer: %d %s", r.status, r.body)
	}
	if r := c.call("POST /v1/followups/{id}/answer", oaBody(t, map[string]any{"csat": 1, "effort": 7, "resolved": false}), nil, id); r.status != http.StatusConflict {
		t.Errorf("answer again differently: %d %s", r.status, r.body)
	}
	if r := c.call("POST /v1/followups/{id}/answer", oaBody(t, map[string]any{"csat": 9, "effort": 2, "resolved": true}), nil, id); r.status != http.StatusBadRequest {
		t.Errorf("answer out of range: %d %s", r.status, r.body)
	}
	c.eventually("GET /v1/complaints/{id}", func(b map[string]any) bool { return b["status"] == "closed" }, id)
	c.call("GET /v1/complaints/{id}/timeline", nil, nil, id)
	c.eventually("GET /v1/reports/root-causes", func(b map[string]any) bool { return b["total"] != float64(0) })

	// The documented examples against the walked complaint.
	for _, key := range keys {
		o := ops[key]
		n := len(oaPathParam.FindAllString(o.path, -1))
		if n == 0 || o.doc.pages() {
			continue
		}
		_, example, _ := o.requestExample()
		params := make([]string, n)
		for i := range params {
			params[i] = id
		}
		c.call(key, example, nil, params...)
	}

	for _, key := range keys {
		o := ops[key]
		if o.doc.pages() {
			continue
		}
		responses, _ := o.op["responses"].(map[string]any)
		var unseen []string
		for code := range responses {
			// A 500 or 503 takes a broken log or a lost NATS connection.
			if n, _ := strconv.Atoi(code); !c.seen[key][n] && n < 500 {
				unseen = append(unseen, code)
			}
		}
		if len(c.seen[key]) == 0 {
			t.Errorf("%s was never exercised", key)
		}
		if len(unseen) > 0 {
			sort.Strings(unseen)
			t.Logf("%s: documented answers not provoked here: %s", key, strings.Join(unseen, ", "))
		}
	}
}
