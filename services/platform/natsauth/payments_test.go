package natsauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/natsauth/natsauthtest"
)

// Confirming a redress issuance is the payment systems' user's alone: the
// company's other systems are refused at publish, and the payment systems'
// user may call no other request subject and publish no event.
func TestOnlyThePaymentSystemsUserMayConfirmAnIssuance(t *testing.T) {
	url, creds := secured(t)
	api, _ := connect(t, url, creds, natsauth.APIUser("compensation"))
	sub, err := api.Subscribe(natsauthtest.PaymentSystems.Calls[0], func(m *nats.Msg) { _ = m.Respond([]byte("confirmed")) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := api.Flush(); err != nil {
		t.Fatal(err)
	}

	outside, violations := connect(t, url, creds, natsauth.Outside)
	if err := outside.PublishRequest(natsauthtest.PaymentSystems.Calls[0], outside.NewInbox(), []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	waitViolation(t, violations, natsauthtest.PaymentSystems.Calls[0])

	payments, violations := connect(t, url, creds, natsauth.Payments)
	if m, err := payments.Request(natsauthtest.PaymentSystems.Calls[0], []byte(`{}`), 5*time.Second); err != nil || string(m.Data) != "confirmed" {
		t.Fatalf("the payment system's confirmation: %v, %v", m, err)
	}
	for _, subject := range []string{"complaints.intake.submit", "complaints.resolution.resolve", "complaints.events.redress.r-1"} {
		if err := payments.PublishRequest(subject, payments.NewInbox(), []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		waitViolation(t, violations, subject)
	}
	if n := stored(t, url, creds, "complaints.events.>"); n != 0 {
		t.Fatalf("the stream holds %d events published by the payment system", n)
	}
}

// The payment systems' user reads the redress events with a consumer of its
// own, and no other category, nor a service's durable.
func TestThePaymentSystemsUserReadsOnlyRedressEvents(t *testing.T) {
	url, creds := secured(t)
	ctx := context.Background()
	for _, e := range []struct{ service, subject, eventType string }{
		{"intake", "complaints.events.complaint.c-1", "complaints.v1.ComplaintReceived"},
		{"compensation", "complaints.events.redress.c-1", "complaints.v1.RedressIssuanceRequested"},
	} {
		nc, _ := connect(t, url, creds, e.service)
		js, _ := jetstream.New(nc)
		if _, err := js.PublishMsg(ctx, event(e.subject, e.eventType, e.service)); err != nil {
			t.Fatal(err)
		}
	}
	nc, violations := connect(t, url, creds, natsauth.Payments)
	js, _ := jetstream.New(nc)
	cons, err := js.CreateOrUpdateConsumer(ctx, natsauth.EventStream, jetstream.ConsumerConfig{
		Durable: "paysim", FilterSubject: natsauthtest.PaymentSystems.Reads, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("the payment system's consumer of redress events: %v", err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for m := range batch.Messages() {
		got = append(got, m.Subject())
		if err := m.Ack(); err != nil {
			t.Fatalf("acknowledging: %v", err)
		}
	}
	if len(got) != 1 || got[0] != "complaints.events.redress.c-1" {
		t.Fatalf("the payment system read %v, want the redress event alone", got)
	}

	for _, c := range []jetstream.ConsumerConfig{
		{Durable: "peek", FilterSubject: "complaints.events.complaint.>"},
		{Durable: "peek-all"},
		{Durable: "compensation-decides-redress", FilterSubject: natsauthtest.PaymentSystems.Reads},
	} {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		_, err := js.CreateOrUpdateConsumer(short, natsauth.EventStream, c)
		cancel()
		if err == nil {
			t.Fatalf("the payment system created the consumer %s on %q", c.Durable, c.FilterSubject)
		}
		waitViolation(t, violations, "CONSUMER.CREATE")
	}
}
