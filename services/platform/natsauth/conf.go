package natsauth

import (
	"fmt"
	"strings"
)

// ServerConf renders the matrix as a nats-server.conf authorization block.
// pubs maps a user to its public nkey; a user without one gets the
// placeholder "<USER>_NKEY" (upper case), to fill in from
// `nk -inkey <user>.nk -pubout`.
func ServerConf(pubs map[string]string) string {
	var b strings.Builder
	b.WriteString("# Generated from services/platform/natsauth (the permission matrix).\n")
	b.WriteString("# One nkey user per service, the relay, other systems and operators.\n")
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range Users() {
		p, _ := For(u)
		key := pubs[u]
		if key == "" {
			key = "$" + strings.ToUpper(u) + "_NKEY"
		} else {
			key = quote(key)
		}
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: %s\n      permissions: {\n", u, key)
		writeList(&b, "publish", p.PublishAllow, p.PublishDeny)
		writeList(&b, "subscribe", p.SubscribeAllow, p.SubscribeDeny)
		if p.Responses {
			b.WriteString("        allow_responses: true\n")
		}
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func writeList(b *strings.Builder, name string, allow, deny []string) {
	fmt.Fprintf(b, "        %s: {\n", name)
	if len(allow) > 0 {
		fmt.Fprintf(b, "          allow: [%s]\n", quoteAll(allow))
	}
	if len(deny) > 0 {
		fmt.Fprintf(b, "          deny: [%s]\n", quoteAll(deny))
	}
	b.WriteString("        }\n")
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = quote(x)
	}
	return strings.Join(q, ", ")
}

func quote(s string) string { return `"` + s + `"` }
