package natsauth_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
)

// answer makes user answer every request on subject with "answer".
func answer(t *testing.T, url, creds, user, subject string) <-chan error {
	t.Helper()
	nc, violations := connect(t, url, creds, user)
	if _, err := nc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond([]byte("answer")) }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return violations
}

// A service answers, with its API user, on the inbox of the client that
// asked (another company system, an operator), and may not publish on any
// other reply subject: the server no longer lets it answer wherever the
// requester says.
func TestServicesAnswerOnlyOnInboxes(t *testing.T) {
	url, creds := secured(t)
	violations := answer(t, url, creds, natsauth.APIUser("resolution"), "complaints.resolution.show")
	for _, user := range []string{natsauth.Outside, natsauth.Operator} {
		nc, _ := connect(t, url, creds, user)
		if m, err := nc.Request("complaints.resolution.show", nil, 5*time.Second); err != nil || string(m.Data) != "answer" {
			t.Fatalf("%s's request: %v, %v", user, m, err)
		}
	}
	// An event subject of another service's, as the reply subject.
	outside, _ := connect(t, url, creds, natsauth.Outside)
	if err := outside.PublishRequest("complaints.resolution.show", "complaints.events.redress.x-1", nil); err != nil {
		t.Fatal(err)
	}
	waitViolation(t, violations, "complaints.events.redress.x-1")
	if n := stored(t, url, creds, "complaints.events.redress.>"); n != 0 {
		t.Fatalf("the event stream holds %d answers", n)
	}
}

// Each client has an inbox of its own: another company system may not
// subscribe to the operator's inbox ("_INBOX.>") nor to another user's, so it
// never reads the replies meant for them.
func TestOutsideCannotReadAnotherClientsReplies(t *testing.T) {
	url, creds := secured(t)
	answer(t, url, creds, natsauth.APIUser("intake"), "complaints.intake.show")
	outside, violations := connect(t, url, creds, natsauth.Outside)
	for _, inbox := range []string{"_INBOX.>", natsauth.InboxPrefix("intake") + ".>", natsauth.InboxPrefix(natsauth.Relay) + ".>"} {
		if _, err := outside.SubscribeSync(inbox); err != nil {
			t.Fatal(err)
		}
		waitViolation(t, violations, inbox)
	}
	// Its own requests are answered on its own inbox.
	if got := outside.NewRespInbox(); got[:len(natsauth.InboxPrefix(natsauth.Outside))+1] != natsauth.InboxPrefix(natsauth.Outside)+"." {
		t.Fatalf("outside's inbox is %s", got)
	}
	if m, err := outside.Request("complaints.intake.show", nil, 5*time.Second); err != nil || string(m.Data) != "answer" {
		t.Fatalf("outside's request: %v, %v", m, err)
	}
}

// A service's API user answers requests and discovery and does nothing
// else: not an event of its service's, not a customer's key, not the
// service's own requests or another service's.
func TestAServicesAPIUserPublishesOnlyOnInboxes(t *testing.T) {
	url, creds := secured(t)
	for _, s := range natsauth.Services {
		nc, violations := connect(t, url, creds, natsauth.APIUser(s.Name))
		for _, subject := range []string{"complaints.events." + s.Category + ".x-1", "$KV.customer-keys.c.someone",
			"complaints.timers.schedule." + s.Name + ".x", "$JS.API.STREAM.INFO." + natsauth.EventStream} {
			if err := nc.Publish(subject, nil); err != nil {
				t.Fatal(err)
			}
			waitViolation(t, violations, subject)
		}
		for _, subject := range []string{"complaints.events.>", "$SRV.PING.nobody", "complaints.nobody.show"} {
			if _, err := nc.SubscribeSync(subject); err != nil {
				t.Fatal(err)
			}
			waitViolation(t, violations, subject)
		}
	}
	if n := stored(t, url, creds, "complaints.events.>"); n != 0 {
		t.Fatalf("the event stream holds %d messages", n)
	}
}

// A service's own user no longer receives requests nor discovery: those
// are its API user's.
func TestAServicesUserReceivesNoRequests(t *testing.T) {
	url, creds := secured(t)
	nc, violations := connect(t, url, creds, "intake")
	for _, subject := range []string{"complaints.intake.show", "$SRV.PING.intake", "$SRV.PING"} {
		if _, err := nc.SubscribeSync(subject); err != nil {
			t.Fatal(err)
		}
		waitViolation(t, violations, subject)
	}
}
