package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// assigning is a service with one route that decodes a JSON body.
type assigning struct{}

func (assigning) Name() string                { return "assigning" }
func (assigning) Start(context.Context) error { return nil }
func (assigning) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/complaints/assignment", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if p := httpx.DecodeJSON(w, r, &body); p != nil {
			httpx.WriteProblem(w, r, p)
			return
		}
		httpx.WriteJSON(w, http.StatusOK, body)
	})
}

func startAssigning(t *testing.T) string {
	t.Helper()
	cfg := host.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "http-test",
		host.Unit{Name: "intake", Build: func(host.Deps) (host.Service, error) { return assigning{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s.Addr()
}

// raw sends head (the request line and headers, without the blank line) on
// a new connection, then body if it is not nil, and reads the answer.
func raw(t *testing.T, addr, head string) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, head+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func wantProblem(t *testing.T, what string, res *http.Response, body []byte, status int) {
	t.Helper()
	var p httpx.Problem
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil || p.Status != status {
		t.Fatalf("%s: %d %s %q (Location %q), want a %d problem", what, res.StatusCode, res.Header.Get("Content-Type"), body, res.Header.Get("Location"), status)
	}
}

// A path that is not clean is not a route: it is not redirected to the
// cleaned path, whatever that path serves.
func TestAnUncleanPathIsNotARoute(t *testing.T) {
	addr := startAssigning(t)
	for _, path := range []string{"/v1/cases/../../v1/complaints/assignment", "/v1/complaints/./assignment",
		"/v1//complaints/assignment", "/v1/cases/%2e%2e/complaints/assignment", "/v1/complaints/assignment/.."} {
		res, body := raw(t, addr, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
		wantProblem(t, "POST "+path, res, body, http.StatusNotFound)
		if !strings.Contains(string(body), "no route for POST") {
			t.Errorf("POST %s: %s", path, body)
		}
	}
	res, body := raw(t, addr, "POST /v1/complaints/assignment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the route itself: %d %s", res.StatusCode, body)
	}
}

// A body declared larger than the limit is refused before it is asked for:
// the client that waits for 100 Continue gets the 413 problem instead,
// every time.
func TestABodyDeclaredTooLargeIsRefusedBeforeContinue(t *testing.T) {
	addr := startAssigning(t)
	for i := range 30 {
		res, body := raw(t, addr, fmt.Sprintf("POST /v1/complaints/assignment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"Content-Length: %d\r\nExpect: 100-continue", 10<<20))
		wantProblem(t, fmt.Sprintf("attempt %d", i+1), res, body, http.StatusRequestEntityTooLarge)
	}
	// Without Expect the client sends the body at once, reading the answer
	// as it goes.
	for i := range 10 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		go func() {
			_, _ = fmt.Fprintf(c, "POST /v1/complaints/assignment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 10<<20)
			_, _ = c.Write(make([]byte, 10<<20))
		}()
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("attempt %d without Expect: %v", i+1, err)
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("attempt %d without Expect: reading the answer: %v", i+1, err)
		}
		wantProblem(t, fmt.Sprintf("attempt %d without Expect", i+1), res, body, http.StatusRequestEntityTooLarge)
		c.Close()
	}
}

// A chunked body, whose size is known only once read, is refused when it
// passes the limit; the client, still sending after 100 Continue, reads the
// 413 problem every time rather than a reset connection.
func TestAChunkedBodyTooLargeGetsTheProblem(t *testing.T) {
	addr := startAssigning(t)
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat(" ", 64<<10))
	for i := range 30 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, "POST /v1/complaints/assignment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		cont, err := http.ReadResponse(r, nil)
		if err != nil || cont.StatusCode != http.StatusContinue {
			t.Fatalf("attempt %d: %v %v, want 100 Continue", i+1, cont, err)
		}
		// 10 MiB in chunks, sent while the answer is read, as an HTTP
		// client does.
		go func() {
			_, _ = io.WriteString(c, "6\r\n{\"a\":\"\r\n")
			for range 160 {
				if _, err := io.WriteString(c, chunk); err != nil {
					return
				}
			}
			_, _ = io.WriteString(c, "0\r\n\r\n")
		}()
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("attempt %d: reading the answer: %v", i+1, err)
		}
		wantProblem(t, fmt.Sprintf("attempt %d", i+1), res, body, http.StatusRequestEntityTooLarge)
		c.Close()
	}
}
