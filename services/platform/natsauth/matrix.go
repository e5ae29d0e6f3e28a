// Package natsauth says who may do what on NATS: one user per service, a user
// for the EventStoreDB relay, one for the company's other systems, one for
// its payment systems and one for operators. The permission matrix is
// derived here from what each service declares of itself in its own package
// (Service, Declare: its durables, projections, request subjects, keys), and
// is rendered both for the embedded server (development) and as a
// nats-server.conf block (production).
//
// A service may publish only its own events (complaints.events.<category>.*),
// its own timers and dead letters and answers to re-drives on the inboxes of
// the clients that may send one (RequesterInboxes), nowhere else;
// subscribe only to its own inbox and its re-drive requests; and call only
// the JetStream API it needs: stream info, direct gets on the log, its own
// durable consumers, its own keys in the shared buckets. No service creates,
// changes or deletes a stream or a bucket: the operator provisions them
// (package provision), and a service only checks them at start.
//
// A service answers its request subjects and service discovery ($SRV) over a
// second connection, with a second user (APIUser) that may publish on the
// requesters' inboxes and nowhere else: whatever reply subject a requester
// names, an answer can never land on an event subject or a key, even the
// answers the nats.go micro framework sends on its own ($SRV.PING, INFO,
// STATS).
package natsauth

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/complaintflow/complaintflow/services/platform/bus/writers"
)

// Fixed names of the streams, buckets and subjects the matrix covers.
const (
	EventStream      = "COMPLAINT_EVENTS"
	TimerStream      = "COMPLAINT_TIMERS"
	DeadLetterStream = "COMPLAINT_DEAD_LETTERS"
	CheckpointBucket = "checkpoints"
	ProjectionBucket = "projections"
	CustomerKeys     = "customer-keys"
)

// Users that are not services.
const (
	// Operator has every permission: the nats CLI, provisioning streams and
	// buckets, the embedded host's own connection.
	Operator = "operator"
	// Outside is the company's other systems: they read the event stream,
	// discover the services ($SRV.PING, INFO, STATS) and call the documented
	// request subjects, and never publish an event. They may not call what
	// the payment systems call (a confirmation of a redress issuance): that
	// is Payments' alone.
	Outside = "outside"
	// Payments is the company's payment and voucher systems: they read the
	// events they declare (issuance requests) with consumers of their own
	// and call the request subjects they declare (confirmations of
	// issuances), and may do nothing else (PaymentSystems). Each
	// confirmation carries a token with the payments role too (ADR 0036).
	Payments = "payments"
	// Relay republishes EventStoreDB's events to the bus: it publishes every
	// category, and nothing else. The embedded server has it only where a
	// relay runs (EmbeddedUsers).
	Relay = "relay"
)

// Service is what one service declares of its place on NATS, in its own
// package (its declarations.go): the matrix is derived from the
// declarations, and this package names no service. The categories it
// writes are the writers table's (bus/writers).
type Service struct {
	Name string
	// Category is the service's main event category (its aggregate's
	// streams); Categories lists every category it writes.
	Category string
	// Durables are its durable consumers on COMPLAINT_EVENTS.
	Durables []string
	// Retired are durables it ran before and replaced (bus.Subscription's
	// Replaces): it may read their info, to start its new durable where
	// they stood, and nothing else; no other user may touch them.
	Retired []string
	// Projections are the names of its projections: it reads the log with
	// ordered (ephemeral) consumers and keeps their snapshots in the
	// projections bucket, under keys "<name>" and "<name>.>".
	Projections []string
	// Serves are the request subjects it answers for the company's other
	// systems (Outside may call them: the documented requests). A request
	// subject only Payments may call is not one of them.
	Serves []string
	// Vault: it seals and opens personal data (the customer-keys bucket).
	Vault bool
}

// Services are the services of this process's matrix, in the order their
// users are listed, as Declare was given them. Empty until then: a process
// declares the services it knows at start, before the matrix is read (the
// all-in-one process and natsusers every service, a service's own binary
// itself only).
var Services []Service

// Declare makes services the matrix's services, replacing any declared
// before. It panics if a declaration is not well formed (no name or main
// category, a main category the writers table gives another service, a
// name or a durable twice, a name of a user that is no service): a
// declaration is the program's own, and a mistake in it is one
// of the program. Call it at start, before the matrix is read.
func Declare(services ...Service) {
	if err := check(services); err != nil {
		panic("natsauth: " + err.Error())
	}
	Services = slices.Clone(services)
}

func check(services []Service) error {
	names := map[string]bool{Operator: true, Outside: true, Payments: true, Relay: true}
	durables := map[string]string{}
	for _, s := range services {
		switch {
		case s.Name == "" || s.Category == "":
			return fmt.Errorf("a service declared without a name or a main category: %+v", s)
		case names[s.Name]:
			return fmt.Errorf("%q declared twice, or is a user that is no service", s.Name)
		case strings.HasSuffix(s.Name, "-api"):
			return fmt.Errorf("%q: a service's name may not end in -api (its API user's does)", s.Name)
		}
		if w, _ := writers.Writer(s.Category); w != s.Name {
			return fmt.Errorf("%s declares main category %q, which the writers table gives to %q", s.Name, s.Category, w)
		}
		names[s.Name] = true
		for _, d := range append(slices.Clone(s.Durables), s.Retired...) {
			if other, ok := durables[d]; ok {
				return fmt.Errorf("durable %q declared by %s and %s", d, other, s.Name)
			}
			durables[d] = s.Name
		}
	}
	return nil
}

// DocumentedRequests are the request/reply subjects other systems
// (Outside) may call: every subject a declared service serves them.
func DocumentedRequests() []string {
	var out []string
	for _, s := range Services {
		out = append(out, s.Serves...)
	}
	return out
}

// Client is what a user that is no service declares: the request subjects
// it calls and the events it reads.
type Client struct {
	// Calls are the request subjects it may call, and no other user but
	// the operator.
	Calls []string
	// Reads is the filter subject of every consumer it creates on the
	// event log.
	Reads string
}

// PaymentSystems is what the company's payment systems (Payments) declare,
// where their stand-in, the payment simulator, is known: they call the
// confirmation of an issuance and read the events where issuances are
// requested. Nothing until DeclarePayments: they may then call nothing and
// read nothing.
var PaymentSystems Client

// DeclarePayments makes c what the payment systems may do. Call it at
// start, with Declare, before the matrix is read.
func DeclarePayments(c Client) { PaymentSystems = Client{Calls: slices.Clone(c.Calls), Reads: c.Reads} }

// Categories are every event category the service writes, from the writers
// table (bus/writers), its main category first.
func (s Service) Categories() []string {
	out := []string{s.Category}
	var more []string
	for c, w := range writers.ByCategory {
		if w == s.Name && c != s.Category {
			more = append(more, c)
		}
	}
	slices.Sort(more)
	return append(out, more...)
}

// ServiceNamed returns the matrix entry of a service.
func ServiceNamed(name string) (Service, bool) {
	for _, s := range Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// APIUser is the user a service answers requests with: its request subjects
// and $SRV discovery, on the requesters' inboxes only.
func APIUser(service string) string { return service + "-api" }

// ProcessUsers are the users a process running one service holds: the
// service's own and its API user.
func ProcessUsers(service string) []string { return []string{service, APIUser(service)} }

// Users are every user's name, services first, then their API users.
func Users() []string {
	var out []string
	for _, s := range Services {
		out = append(out, s.Name)
	}
	for _, s := range Services {
		out = append(out, APIUser(s.Name))
	}
	return append(out, Relay, Outside, Payments, Operator)
}

// EmbeddedUsers are the users the embedded server has: every user but the
// relay, which it has only where a relay runs (relay true: EventStoreDB as
// the log, and this process running the relay). The relay may publish every
// event category; on the JetStream log nothing needs it, and a user nothing
// needs is only a key that could forge any event.
func EmbeddedUsers(relay bool) []string {
	if relay {
		return Users()
	}
	return slices.DeleteFunc(Users(), func(u string) bool { return u == Relay })
}

// Permissions of one user. Deny wins over allow.
type Permissions struct {
	PublishAllow, PublishDeny     []string
	SubscribeAllow, SubscribeDeny []string
	// Responses lets the user answer the requests it receives (publish once
	// to each request's reply subject, whatever it is). Only the operator
	// has it: a service answers on RequesterInboxes only, as the requester
	// names the reply subject.
	Responses bool
}

// InboxPrefix is the user's own inbox prefix: replies, JetStream API answers
// and pulled messages arrive under it, and no other user may subscribe there.
// The operator uses the default prefix "_INBOX" (as does a client that
// connects without credentials to a server that asks for none).
func InboxPrefix(user string) string { return "_INBOX_" + user }

// RequesterInboxes are the reply subjects a service may publish on: the
// inboxes of the users that may send it a request (documented requests,
// $SRV discovery, re-drives, confirmations): other systems, payment systems
// and operators.
func RequesterInboxes() []string {
	return []string{"_INBOX.>", InboxPrefix(Outside) + ".>", InboxPrefix(Payments) + ".>"}
}

// For returns a user's permissions; ok is false for an unknown user.
func For(user string) (p Permissions, ok bool) {
	switch user {
	case Operator:
		return Permissions{PublishAllow: []string{">"}, SubscribeAllow: []string{">"}, Responses: true}, true
	case Outside:
		return outside(), true
	case Payments:
		return payments(), true
	case Relay:
		return relay(), true
	}
	if name, ok := strings.CutSuffix(user, "-api"); ok {
		if s, ok := ServiceNamed(name); ok {
			return serviceAPI(s), true
		}
	}
	s, ok := ServiceNamed(user)
	if !ok {
		return Permissions{}, false
	}
	return service(s), true
}

const api = "$JS.API."

func service(s Service) Permissions {
	var p permBuilder
	for _, c := range s.Categories() {
		p.pub("complaints.events." + c + ".*")
	}
	// Its own timers: schedules, and the firing of a timer that is already
	// due when it is set (timer.Schedule publishes that one at once).
	p.pub("complaints.timers.schedule."+s.Name+".>", "complaints.timers.fire."+s.Name+".>")
	// What stands on a schedule's subject, read from the stream's leader
	// before a write that may not be needed (timer.Schedule, timer.Cancel).
	// The API names no subject, so the right reaches every timer's message:
	// due times, kinds and complaint ids, never personal data.
	p.pub(api + "STREAM.MSG.GET." + TimerStream)
	p.pub(api+"STREAM.INFO."+EventStream, api+"STREAM.INFO."+TimerStream, api+"STREAM.INFO."+DeadLetterStream)
	// Streams and buckets are the operator's (package provision): a
	// service reads their info, never creates, changes or deletes one.
	p.pub(directGet(EventStream)...)
	timers := s.Name + "-timers"
	// Its timer consumer, filtered on its own fire subjects only (the
	// server refuses a create whose filter is not the one its subject
	// names, and the bare create subject, which takes any filter, is not
	// allowed).
	p.filteredDurable(TimerStream, timers, "complaints.timers.fire."+s.Name+".*")
	p.pub("complaints.deadletters." + timers)
	p.sub("complaints.redrive." + timers)
	for _, d := range s.Durables {
		p.durable(EventStream, d)
		p.pub("complaints.deadletters." + d)
		p.sub("complaints.redrive." + d)
	}
	for _, d := range s.Retired {
		p.pub(api + "CONSUMER.INFO." + EventStream + "." + d)
	}
	// It reads no dead letter: an operator reads them (complaintctl
	// dead-letters) and hands one back on the re-drive subject.
	// Its own checkpoints: keys "<service>" and "<service>.<reader>".
	p.bucket(CheckpointBucket, s.Name, s.Name+".>")
	if len(s.Projections) > 0 {
		var keys []string
		for _, name := range s.Projections {
			keys = append(keys, name, name+".>")
			// The dead letters of its projections ("projection.<name>").
			p.pub("complaints.deadletters.projection." + name)
		}
		// Snapshots of its own projections only.
		p.bucket(ProjectionBucket, keys...)
		p.orderedReads(s.Name)
	}
	if s.Vault {
		p.bucket(CustomerKeys, ">")
		// The vault watches the bucket for keys forgotten elsewhere.
		p.pub(api+"CONSUMER.CREATE.KV_"+CustomerKeys+".>", api+"CONSUMER.DELETE.KV_"+CustomerKeys+".>",
			api+"CONSUMER.INFO.KV_"+CustomerKeys+".>", "$JS.FC.KV_"+CustomerKeys+".>")
	}
	p.sub(InboxPrefix(s.Name) + ".>")
	// Answers to re-drives, on the requester's inbox only: not
	// allow_responses, which would let a requester name any subject (an
	// event's, a key's) as the reply and have the service publish there.
	// The re-drive listener refuses such a request before any answer.
	// Requests and $SRV discovery are the API user's (serviceAPI).
	p.pub(RequesterInboxes()...)
	return p.build(false)
}

// serviceAPI is a service's API user: it receives the service's requests
// and $SRV discovery and answers on the requesters' inboxes, and may do
// nothing else. Handlers append events through the service's own
// connection; this one can never publish an event or a key, whatever reply
// subject a request names, even for answers natsreply does not see (the
// micro framework's PING, INFO and STATS).
func serviceAPI(s Service) Permissions {
	var p permBuilder
	p.sub(InboxPrefix(APIUser(s.Name))+".>", "complaints."+s.Name+".*")
	// Discovery of every service, of this one by name, of one instance.
	for _, verb := range []string{"PING", "INFO", "STATS"} {
		p.sub("$SRV."+verb, "$SRV."+verb+"."+s.Name, "$SRV."+verb+"."+s.Name+".*")
	}
	p.pub(RequesterInboxes()...)
	return p.build(false)
}

func relay() Permissions {
	var p permBuilder
	p.pub("complaints.events.>")
	p.pub(api + "STREAM.INFO." + EventStream)
	p.pub(directGet(EventStream)...)
	p.bucket(CheckpointBucket, Relay, Relay+".>")
	p.sub(InboxPrefix(Relay) + ".>")
	return p.build(false)
}

func outside() Permissions {
	var p permBuilder
	p.pub(DocumentedRequests()...)
	// Service discovery: PING, INFO and STATS to every service, to one by
	// name, or to one instance; the services answer on the caller's inbox.
	for _, verb := range []string{"PING", "INFO", "STATS"} {
		p.pub("$SRV."+verb, "$SRV."+verb+".*", "$SRV."+verb+".*.*")
	}
	p.pub(api + "STREAM.INFO." + EventStream)
	p.pub(directGet(EventStream)...)
	p.orderedReads(Outside)
	// Its own inbox only (ClientOptions sets the prefix): never the
	// operator's "_INBOX.>" nor another user's replies.
	p.sub(InboxPrefix(Outside)+".>", "complaints.events.>")
	// Never an event, a timer, a dead letter or a re-drive, whatever the
	// allow list above says; nor what the payment systems call (the
	// confirmation of a redress issuance), which is theirs alone.
	p.pubDeny("complaints.events.>", "complaints.timers.>", "complaints.deadletters.>", "complaints.redrive.>", "$KV.>")
	p.pubDeny(PaymentSystems.Calls...)
	return p.build(false)
}

// payments is the company's payment and voucher systems: they read the
// events they declare (issuance requests) with durable consumers of their
// own, named as they like but filtered on those events, and call what they
// declare (confirmations of issuances). Nothing else: no other request
// subject, no event, no key.
func payments() Permissions {
	var p permBuilder
	p.pub(PaymentSystems.Calls...)
	// Consumers of its own on the events it reads only: the server refuses
	// a create whose configured filter is not the one its subject names,
	// and the bare create subject, which takes any filter, is not allowed.
	if PaymentSystems.Reads != "" {
		p.pub(api + "CONSUMER.CREATE." + EventStream + ".*." + PaymentSystems.Reads)
	}
	for _, verb := range []string{"INFO", "DELETE", "MSG.NEXT"} {
		p.pub(api + "CONSUMER." + verb + "." + EventStream + ".*")
	}
	p.pub("$JS.ACK." + EventStream + ".*.>")
	// Never a service's durable: its filter would be changed by a create,
	// its messages taken by a pull.
	p.denyDurables("")
	p.sub(InboxPrefix(Payments) + ".>")
	p.pubDeny("complaints.events.>", "complaints.timers.>", "complaints.deadletters.>", "complaints.redrive.>", "$KV.>")
	return p.build(false)
}

// directGet is what reading a stream takes: batched direct gets, which any
// replica answers, and the leader's get of a subject's last message, which
// tells a read on a cluster how far it must reach.
func directGet(stream string) []string {
	return []string{api + "DIRECT.GET." + stream, api + "DIRECT.GET." + stream + ".>", api + "STREAM.MSG.GET." + stream}
}

type permBuilder struct {
	allowPub, denyPub, allowSub, denySub []string
}

func (p *permBuilder) pub(s ...string)     { p.allowPub = append(p.allowPub, s...) }
func (p *permBuilder) pubDeny(s ...string) { p.denyPub = append(p.denyPub, s...) }
func (p *permBuilder) sub(s ...string)     { p.allowSub = append(p.allowSub, s...) }

// durable allows one named durable consumer on a stream: create it (with or
// without a filter subject), read its info, pull from it, acknowledge and
// unpin it (hand it to another instance as it stops).
// Its filter is the client's choice: a consumer with several filters is
// created on the bare subject, whose filters the server does not check
// against the permissions.
func (p *permBuilder) durable(stream, name string) {
	p.pub(api+"CONSUMER.CREATE."+stream+"."+name, api+"CONSUMER.CREATE."+stream+"."+name+".>")
	p.consume(stream, name)
}

// filteredDurable allows one named durable consumer on a stream with one
// filter subject only: the server refuses a create whose configured filter
// is not the one its subject names.
func (p *permBuilder) filteredDurable(stream, name, filter string) {
	p.pub(api + "CONSUMER.CREATE." + stream + "." + name + "." + filter)
	p.consume(stream, name)
}

func (p *permBuilder) consume(stream, name string) {
	p.pub(api+"CONSUMER.INFO."+stream+"."+name, api+"CONSUMER.MSG.NEXT."+stream+"."+name,
		api+"CONSUMER.UNPIN."+stream+"."+name, "$JS.ACK."+stream+"."+name+".>")
}

// bucket allows the keys of a KV bucket: open it (read its stream's info),
// read keys with direct gets and write them. The operator creates the
// bucket.
func (p *permBuilder) bucket(bucket string, keys ...string) {
	st := "KV_" + bucket
	p.pub(api+"INFO", api+"STREAM.INFO."+st)
	for _, k := range keys {
		p.pub("$KV."+bucket+"."+k, api+"DIRECT.GET."+st+".$KV."+bucket+"."+k)
	}
}

// orderedReads allows consumers on the event log whose names the client
// chooses (ordered consumers, an outside system's own durables), never
// another service's durable.
func (p *permBuilder) orderedReads(user string) {
	for _, verb := range []string{"CREATE", "DELETE", "INFO", "MSG.NEXT"} {
		p.pub(api + "CONSUMER." + verb + "." + EventStream + ".>")
	}
	p.pub("$JS.FC."+EventStream+".>", "$JS.ACK."+EventStream+".>")
	p.denyDurables(user)
}

// denyDurables denies every service's durable on the event log but user's
// own: creating, deleting, reading, pulling from and acknowledging it.
func (p *permBuilder) denyDurables(user string) {
	for _, s := range Services {
		if s.Name == user {
			continue
		}
		for _, d := range append(slices.Clone(s.Durables), s.Retired...) {
			for _, verb := range []string{"CREATE", "DELETE", "INFO", "MSG.NEXT"} {
				p.pubDeny(api+"CONSUMER."+verb+"."+EventStream+"."+d, api+"CONSUMER."+verb+"."+EventStream+"."+d+".>")
			}
			p.pubDeny("$JS.ACK." + EventStream + "." + d + ".>")
		}
	}
}

func (p *permBuilder) build(responses bool) Permissions {
	return Permissions{
		PublishAllow: uniq(p.allowPub), PublishDeny: uniq(p.denyPub),
		SubscribeAllow: uniq(p.allowSub), SubscribeDeny: uniq(p.denySub), Responses: responses,
	}
}

func uniq(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}
