package system_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
)

// The schemas of the API documents are checked by libopenapi-validator, in
// strict mode: a body may hold only the properties its schema declares,
// every required one, each of the documented type, format and range.

var oaLibs = struct {
	sync.Mutex
	byFile map[string]validator.Validator
}{byFile: map[string]validator.Validator{}}

// oaValidatorFor is the validator of one document, built once.
func oaValidatorFor(t *testing.T, d *oaDoc) validator.Validator {
	t.Helper()
	oaLibs.Lock()
	defer oaLibs.Unlock()
	if v, ok := oaLibs.byFile[d.file]; ok {
		return v
	}
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(oaDocsGlob), d.file))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("%s: %v", d.file, err)
	}
	v, errs := validator.NewValidator(doc, config.WithStrictMode(), config.WithFormatAssertions(),
		// A timeline step's data is the event's protobuf JSON, documented as
		// an open object (additionalProperties: true): strict mode would
		// report its every field.
		config.WithStrictIgnorePaths("$.body.steps[*].data.**"))
	if len(errs) > 0 {
		t.Fatalf("%s: %v", d.file, errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s is not a valid OpenAPI document: %s", d.file, oaLibError(e))
		}
	}
	oaLibs.byFile[d.file] = v
	return v
}

// oaLibError is one validation error on one line of text.
func oaLibError(e *liberrors.ValidationError) string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Reason != "" && e.Reason != e.Message {
		b.WriteString(": " + e.Reason)
	}
	for _, s := range e.SchemaValidationErrors {
		b.WriteString("; " + s.Reason)
		if s.FieldPath != "" {
			b.WriteString(" at " + s.FieldPath)
		}
	}
	return b.String()
}

// oaExamplePath fills every path parameter with a well-formed id.
func oaExamplePath(path string) string {
	return oaPathParam.ReplaceAllString(path, "0f8fad5b-d9cb-469f-a165-70867728950e")
}

// oaRequest builds a request for o with body, for the validator.
func oaRequest(t *testing.T, o oaOperation, path string, body []byte, header http.Header) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(o.method, "http://127.0.0.1:8080"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// oaResponseFor builds an answer for the validator.
func oaResponseFor(req *http.Request, status int, header http.Header, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Header: header, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}

// oaCheckRequestExample validates the documented request example as a
// request of the operation.
func oaCheckRequestExample(t *testing.T, o oaOperation, example []byte) {
	t.Helper()
	v := oaValidatorFor(t, o.doc)
	h := http.Header{"Authorization": {"Bearer example"}}
	req := oaRequest(t, o, oaExamplePath(o.path), example, h)
	if ok, errs := v.ValidateHttpRequest(req); !ok {
		for _, e := range errs {
			t.Errorf("%s: request example: %s", o.key(), oaLibError(e))
		}
	}
}

// oaCheckResponseExample validates a documented response example as an
// answer of the operation.
func oaCheckResponseExample(t *testing.T, o oaOperation, status int, mediaType string, example []byte) {
	t.Helper()
	v := oaValidatorFor(t, o.doc)
	req := oaRequest(t, o, oaExamplePath(o.path), nil, http.Header{"Authorization": {"Bearer example"}})
	resp := oaResponseFor(req, status, http.Header{"Content-Type": {mediaType}}, example)
	if ok, errs := v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			t.Errorf("%s %d: example: %s", o.key(), status, oaLibError(e))
		}
	}
}

// oaCheckExchange validates a live exchange: the answer the system gave
// always, and the request the test sent when the system accepted it (2xx). A
// refused request is often malformed on purpose, to provoke the refusal.
func oaCheckExchange(t *testing.T, o oaOperation, req *http.Request, reqBody []byte, r oaResponse) []string {
	t.Helper()
	v := oaValidatorFor(t, o.doc)
	vreq := oaRequest(t, o, req.URL.Path, reqBody, req.Header)
	resp := oaResponseFor(vreq, r.status, r.header, r.body)
	var errs []*liberrors.ValidationError
	if r.status >= 200 && r.status < 300 {
		_, errs = v.ValidateHttpRequestResponse(vreq, resp)
	} else {
		_, errs = v.ValidateHttpResponse(vreq, resp)
	}
	var out []string
	for _, e := range errs {
		out = append(out, oaLibError(e))
	}
	return out
}
