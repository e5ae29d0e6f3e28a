package natsauth_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// Other systems discover the services as the README tells them to: the
// outside user sends $SRV.PING, INFO and STATS, to all services or to one by
// name (and instance id), and every service answers on the caller's inbox,
// with its API user.
func TestOutsideDiscoversTheServices(t *testing.T) {
	url, creds := secured(t)
	ids := map[string]string{}
	for _, s := range natsauth.Services {
		nc, _ := connect(t, url, creds, natsauth.APIUser(s.Name))
		svc, err := micro.AddService(nc, micro.Config{Name: s.Name, Version: "1.0.0", QueueGroup: s.Name})
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		t.Cleanup(func() { _ = svc.Stop() })
		ids[s.Name] = svc.Info().ID
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	nc, violations := connect(t, url, creds, natsauth.Outside)

	inbox := nc.NewRespInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest("$SRV.PING", inbox, nil); err != nil {
		t.Fatal(err)
	}
	var names []string
	for len(names) < len(natsauth.Services) {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			select {
			case v := <-violations:
				t.Fatalf("after %v answers: %v", names, v)
			default:
			}
			t.Fatalf("after %v answers: %v", names, err)
		}
		var ping micro.Ping
		if err := json.Unmarshal(m.Data, &ping); err != nil {
			t.Fatalf("PING answer %q: %v", m.Data, err)
		}
		names = append(names, ping.Name)
	}
	slices.Sort(names)
	var want []string
	for _, s := range natsauth.Services {
		want = append(want, s.Name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("PING answered by %v, want %v", names, want)
	}

	for _, subject := range []string{"$SRV.INFO", "$SRV.STATS", "$SRV.PING.intake", "$SRV.INFO.resolution", "$SRV.STATS.compensation",
		"$SRV.PING.followup." + ids["followup"], "$SRV.INFO.prevention." + ids["prevention"], "$SRV.STATS.intake." + ids["intake"]} {
		m, err := nc.Request(subject, nil, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		var answer struct {
			Name, ID, Type string
		}
		if err := json.Unmarshal(m.Data, &answer); err != nil || answer.Name == "" || answer.ID == "" {
			t.Fatalf("%s answered %q (%v)", subject, m.Data, err)
		}
	}
	select {
	case v := <-violations:
		t.Fatalf("permission violation: %v", v)
	default:
	}
}
