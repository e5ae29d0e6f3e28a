package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/platform/httpx"
)

func TestClientAddressTakesTheProxiesWordOnlyWhenThePeerIsTrusted(t *testing.T) {
	none, err := httpx.ParseTrustedProxies(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	xff, err := httpx.ParseTrustedProxies([]string{"10.0.0.0/8", " 192.0.2.7 ", "2001:db8:ffff::/48"}, "")
	if err != nil {
		t.Fatal(err)
	}
	fwd, err := httpx.ParseTrustedProxies([]string{"10.0.0.0/8"}, "forwarded")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		proxies httpx.TrustedProxies
		peer    string
		header  string
		values  []string
		want    string
	}{
		{"no proxy trusted: the header is the client's word", none, "203.0.113.9:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "203.0.113.9"},
		{"an untrusted peer's header is ignored", xff, "203.0.113.9:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "203.0.113.9"},
		{"a trusted proxy names its peer", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a trusted single address", xff, "192.0.2.7:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "198.51.100.1"},
		{"what the client wrote left of its own address is not read", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"1.1.1.1, 10.0.0.9, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies is walked", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"198.51.100.1, 10.0.0.7,10.1.2.3"}, "198.51.100.1"},
		{"copies of the header read in order", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"1.1.1.1", "198.51.100.1"}, "198.51.100.1"},
		{"only trusted hops: the leftmost", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"no header from a trusted peer: the peer", xff, "10.0.0.2:5000", "", nil, "10.0.0.2"},
		{"a hop that is no address: the proxy that wrote it", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"198.51.100.1, unknown"}, "10.0.0.2"},
		{"ports and brackets", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"an IPv4 hop with a port", xff, "10.0.0.2:5000", "X-Forwarded-For", []string{"198.51.100.1:8080"}, "198.51.100.1"},
		{"an IPv4-mapped peer is the IPv4 proxy", xff, "[::ffff:10.0.0.2]:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "198.51.100.1"},
		{"an IPv6 proxy", xff, "[2001:db8:ffff::2]:5000", "X-Forwarded-For", []string{"2001:db8::5"}, "2001:db8::5"},
		{"Forwarded when configured", fwd, "10.0.0.2:5000", "Forwarded", []string{`for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded: a client's element left of the proxy's is not read", fwd, "10.0.0.2:5000", "Forwarded", []string{"for=1.1.1.1", "for=198.51.100.1;proto=https"}, "198.51.100.1"},
		{"X-Forwarded-For ignored when Forwarded is the header", fwd, "10.0.0.2:5000", "X-Forwarded-For", []string{"198.51.100.1"}, "10.0.0.2"},
		{"Forwarded ignored when X-Forwarded-For is the header", xff, "10.0.0.2:5000", "Forwarded", []string{"for=198.51.100.1"}, "10.0.0.2"},
		{"an obfuscated Forwarded node: the proxy", fwd, "10.0.0.2:5000", "Forwarded", []string{"for=_hidden"}, "10.0.0.2"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.values {
			r.Header.Add(tc.header, v)
		}
		if got := tc.proxies.ClientAddress(r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseTrustedProxiesRefusesWhatIsNoAddress(t *testing.T) {
	for _, tc := range []struct {
		list   []string
		header string
		want   string
	}{
		{[]string{"10.0.0.0/33"}, "", `trusted proxy "10.0.0.0/33"`},
		{[]string{"proxy.example"}, "", `trusted proxy "proxy.example"`},
		{nil, "X-Real-IP", `proxy header "X-Real-IP"`},
	} {
		if _, err := httpx.ParseTrustedProxies(tc.list, tc.header); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %q: %v, want an error naming %s", tc.list, tc.header, err, tc.want)
		}
	}
}
