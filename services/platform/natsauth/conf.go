package natsauth

import (
	"fmt"
	"strings"
)

// KeyVariable is the environment variable that carries a user's public nkey
// in deploy/nats/nats-server.conf, e.g. INTAKE_NKEY, INTAKE_API_NKEY.
func KeyVariable(user string) string {
	return strings.ToUpper(strings.ReplaceAll(user, "-", "_")) + "_NKEY"
}

// ServerConf renders the matrix as a nats-server.conf authorization block.
// pubs maps a user to its public nkey; a user without one gets a reference
// to the environment variable KeyVariable(user), which nats-server resolves
// at start.
func ServerConf(pubs map[string]string) string {
	var b strings.Builder
	b.WriteString("# Generated from services/platform/natsauth (the permission matrix).\n")
	b.WriteString("# One nkey user per service and one for its API (requests, discovery),\n")
	b.WriteString("# the EventStoreDB relay, other systems and operators.\n")
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range Users() {
		p, _ := For(u)
		key := pubs[u]
		if key == "" {
			key = "$" + KeyVariable(u)
		} else {
			key = quote(key)
		}
		fmt.Fprintf(&b, "    # %s\n", u)
		if u == Relay {
			b.WriteString("    # Needed only with EventStoreDB as the event log, where a relay\n" +
				"    # republishes its events here. It may publish every event category\n" +
				"    # (a forged CaseResolved among them): with the JetStream log, remove\n" +
				"    # it. The embedded server has it only where a relay runs.\n")
		}
		fmt.Fprintf(&b, "    {\n      nkey: %s\n      permissions: {\n", key)
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
	for _, l := range []struct {
		name     string
		subjects []string
	}{{"allow", allow}, {"deny", deny}} {
		if len(l.subjects) == 0 {
			continue
		}
		fmt.Fprintf(b, "          %s: [\n", l.name)
		for _, s := range l.subjects {
			fmt.Fprintf(b, "            %s\n", quote(s))
		}
		b.WriteString("          ]\n")
	}
	b.WriteString("        }\n")
}

func quote(s string) string { return `"` + s + `"` }
