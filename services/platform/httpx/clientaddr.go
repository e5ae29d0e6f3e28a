package httpx

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The headers a proxy may name the client's address in.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// TrustedProxies are the proxies whose word on a client's address is
// taken. The zero value trusts none: a client is its direct peer.
type TrustedProxies struct {
	prefixes []netip.Prefix
	header   string
}

// ParseTrustedProxies reads a list of proxy addresses and networks
// ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32") and the header they append
// the address of their own peer to (X-Forwarded-For or Forwarded; empty:
// X-Forwarded-For). Only one header is read: a client may send the other
// itself, and a proxy passes through what it does not write.
func ParseTrustedProxies(list []string, header string) (TrustedProxies, error) {
	var t TrustedProxies
	switch {
	case header == "" || strings.EqualFold(header, HeaderXForwardedFor):
		t.header = HeaderXForwardedFor
	case strings.EqualFold(header, HeaderForwarded):
		t.header = HeaderForwarded
	default:
		return t, fmt.Errorf("proxy header %q: want %s or %s", header, HeaderXForwardedFor, HeaderForwarded)
	}
	for _, entry := range list {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return t, fmt.Errorf("trusted proxy %q: %w", entry, err)
			}
			t.prefixes = append(t.prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return t, fmt.Errorf("trusted proxy %q: %w", entry, err)
		}
		a = a.Unmap()
		t.prefixes = append(t.prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return t, nil
}

// trusts reports whether a is one of the proxies.
func (t TrustedProxies) trusts(a netip.Addr) bool {
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientAddress is the address of the client that sent r. It is the
// direct peer, unless the peer is a trusted proxy: then the hops the
// proxies appended to the header are read from the right, each trusted
// hop's word taken for the hop before it, and the first address that is
// not a trusted proxy is the client. A client may write anything to the
// left of what the proxies append, and none of it is read past an
// untrusted address. A hop that is not an address ("unknown", an
// obfuscated name) ends the walk at the last proxy that named it.
func (t TrustedProxies) ClientAddress(r *http.Request) string {
	peer, err := netip.ParseAddr(RemoteHost(r))
	if err != nil {
		return RemoteHost(r)
	}
	client := peer.Unmap()
	if !t.trusts(client) {
		return client.String()
	}
	hops := t.hops(r)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return client.String()
		}
		client = a
		if !t.trusts(a) {
			break
		}
	}
	return client.String()
}

// hops are the addresses the proxies named, leftmost first, across every
// copy of the header in order.
func (t TrustedProxies) hops(r *http.Request) []string {
	var hops []string
	for _, line := range r.Header.Values(t.header) {
		for _, element := range strings.Split(line, ",") {
			element = strings.TrimSpace(element)
			if t.header == HeaderForwarded {
				element = forwardedFor(element)
			}
			hops = append(hops, element)
		}
	}
	return hops
}

// forwardedFor is the for= parameter of one element of a Forwarded header
// (RFC 7239), unquoted; empty when there is none.
func forwardedFor(element string) string {
	for _, pair := range strings.Split(element, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(strings.TrimSpace(name), "for") {
			return strings.Trim(strings.TrimSpace(value), `"`)
		}
	}
	return ""
}

// parseHop reads one hop: an address, with or without a port, IPv6 in
// brackets or not.
func parseHop(hop string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(hop); err == nil {
		return a.Unmap(), true
	}
	host, _, err := net.SplitHostPort(hop)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(hop, "["), "]")
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
