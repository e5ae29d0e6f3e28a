package web

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

// caller calls the public HTTP API with one bearer token, as any other
// client of it would: the pages hold no privilege of their own.
type caller struct {
	base  string
	token string
	hc    *http.Client
}

// apiBase is where the pages find the API: Config.APIURL, or else the
// address this very request came in on (the all-in-one process serves both
// on one listener), never a name the browser sent.
func (s *Site) apiBase(r *http.Request) (string, *http.Client) {
	if s.cfg.APIURL != "" {
		return strings.TrimSuffix(s.cfg.APIURL, "/"), s.hc
	}
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if addr == nil {
		return "", s.hc
	}
	if r.TLS == nil {
		return "http://" + addr.String(), s.hc
	}
	// The certificate is the one the browser was just shown, valid for
	// the name it asked for.
	hc := &http.Client{Timeout: s.hc.Timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{ServerName: r.TLS.ServerName, MinVersion: tls.VersionTLS12}}}
	return "https://" + addr.String(), hc
}

func (s *Site) caller(r *http.Request, token string) caller {
	base, hc := s.apiBase(r)
	return caller{base: base, token: token, hc: hc}
}

// get, post: JSON in and out; an answer that is not 2xx is the API's
// problem (RFC 9457), returned as *httpx.Problem.
func (c caller) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, nil, out)
}

func (c caller) post(ctx context.Context, path string, body any, header http.Header, out any) error {
	return c.do(ctx, http.MethodPost, path, body, header, out)
}

func (c caller) do(ctx context.Context, method, path string, body any, header http.Header, out any) error {
	resp, err := c.send(ctx, method, path, body, header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// send makes the request and turns an error answer into the API's problem.
func (c caller) send(ctx context.Context, method, path string, body any, header http.Header) (*http.Response, error) {
	if c.base == "" {
		return nil, errors.New("the API's address is unknown (WEB_API_URL)")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		p := &httpx.Problem{}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, p) != nil || p.Title == "" {
			p = &httpx.Problem{Title: http.StatusText(resp.StatusCode)}
		}
		p.Status = resp.StatusCode
		return nil, p
	}
	return resp, nil
}

func esc(s string) string { return url.PathEscape(s) }

// problemOf is what a page says when the API refused: its title and the
// fields at fault, or that the API could not be reached.
func problemOf(err error) (status int, message string) {
	var p *httpx.Problem
	if errors.As(err, &p) {
		msg := p.Title
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
		for _, fe := range p.Errors {
			msg += fmt.Sprintf(" (%s: %s)", fe.Field, fe.Detail)
		}
		return p.Status, msg
	}
	return http.StatusBadGateway, "The complaint service could not be reached. Try again in a moment."
}
