// Package provision sets up what the services share on JetStream: the
// event, timer and dead-letter streams and the checkpoint, projection and
// customer-key buckets, with their limits. It is the operator's step
// (complaintctl provision; the all-in-one host, which connects as the
// operator in development, runs it at start). The services only check, at
// start, that everything is there with these settings: their NATS users may
// read a stream's info but never create, change or delete a stream.
package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/bus"
	"github.com/complaintflow/complaintflow/services/platform/checkpoint"
	"github.com/complaintflow/complaintflow/services/platform/natswire"
	"github.com/complaintflow/complaintflow/services/platform/pii"
	"github.com/complaintflow/complaintflow/services/platform/projection"
	"github.com/complaintflow/complaintflow/services/platform/timer"
)

// Names of the buckets the services share.
const (
	CheckpointBucket = "checkpoints"
	ProjectionBucket = projection.BucketName
	CustomerKeys     = pii.DefaultBucket
)

// Hint is what a service says when something provisioned is missing or has
// other settings.
const Hint = "run complaintctl provision as the operator"

// streams are the plain streams, in the order Provision creates them.
func streams() []jetstream.StreamConfig {
	return []jetstream.StreamConfig{natswire.StreamConfig(), timer.StreamConfig(), bus.DeadLetterStreamConfig()}
}

// buckets are the key-value buckets.
func buckets() []jetstream.KeyValueConfig {
	return []jetstream.KeyValueConfig{checkpoint.BucketConfig(CheckpointBucket), projection.BucketConfig(), pii.BucketConfig(CustomerKeys)}
}

// BucketStream is the name of a bucket's stream.
func BucketStream(bucket string) string { return "KV_" + bucket }

// StreamNames are the names of every stream Provision creates, buckets'
// streams included.
func StreamNames() []string {
	var out []string
	for _, c := range streams() {
		out = append(out, c.Name)
	}
	for _, b := range buckets() {
		out = append(out, BucketStream(b.Bucket))
	}
	return out
}

// Option is a choice of the operator's when provisioning.
type Option func(*options)

type options struct{ replicas int }

// Replicas is how many copies of each stream and bucket the servers keep,
// each on its own server: 1 (the default) on a single server, 3 on a
// cluster of three or more, so that a stream outlives one server's loss
// (JetStream allows at most 5). Provisioning again with another count
// scales every stream up or down in place.
func Replicas(n int) Option { return func(o *options) { o.replicas = n } }

// Provision creates every stream and bucket, or brings its settings up to
// date. Running it again changes nothing. It needs the operator's user.
func Provision(ctx context.Context, js jetstream.JetStream, opts ...Option) error {
	o := options{replicas: 1}
	for _, opt := range opts {
		opt(&o)
	}
	if o.replicas < 1 || o.replicas > 5 {
		return fmt.Errorf("provision: %d replicas: choose 1 on a single server, 3 (or 5) on a cluster", o.replicas)
	}
	for _, c := range streams() {
		c.Replicas = o.replicas
		if st, err := js.Stream(ctx, c.Name); err == nil && differs(st.CachedInfo().Config, c) == "" && sameReplicas(st.CachedInfo().Config, c) {
			continue
		}
		if _, err := js.CreateOrUpdateStream(ctx, c); err != nil {
			return fmt.Errorf("provision: stream %s: %w", c.Name, err)
		}
	}
	for _, b := range buckets() {
		b.Replicas = o.replicas
		if st, err := js.Stream(ctx, BucketStream(b.Bucket)); err == nil && differs(st.CachedInfo().Config, bucketStream(b)) == "" && sameReplicas(st.CachedInfo().Config, bucketStream(b)) {
			continue
		}
		if _, err := js.CreateOrUpdateKeyValue(ctx, b); err != nil {
			return fmt.Errorf("provision: bucket %s: %w", b.Bucket, err)
		}
	}
	return nil
}

// Check verifies that the named streams (every one of StreamNames when none
// is named) exist with the settings Provision gives them. It only reads
// their info, which every service's user may. The replica count is the
// operator's choice (Replicas), not the service's: any count is accepted.
// The error says which stream is missing or differs, and to run the
// provisioning step.
func Check(ctx context.Context, js jetstream.JetStream, names ...string) error {
	if len(names) == 0 {
		names = StreamNames()
	}
	want := map[string]jetstream.StreamConfig{}
	for _, c := range streams() {
		want[c.Name] = c
	}
	for _, b := range buckets() {
		want[BucketStream(b.Bucket)] = bucketStream(b)
	}
	for _, name := range names {
		w, ok := want[name]
		if !ok {
			return fmt.Errorf("provision: %s is not a provisioned stream", name)
		}
		st, err := js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("provision: stream %s is missing: %s", name, Hint)
		}
		if err != nil {
			return fmt.Errorf("provision: stream %s: %w (%s)", name, err, Hint)
		}
		if d := differs(st.CachedInfo().Config, w); d != "" {
			return fmt.Errorf("provision: stream %s: %s differs from the provisioned settings: %s", name, d, Hint)
		}
	}
	return nil
}

// bucketStream is the stream a bucket's configuration makes (the settings
// the jetstream client derives from a KeyValueConfig without TTL, limits or
// republishing).
func bucketStream(b jetstream.KeyValueConfig) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              BucketStream(b.Bucket),
		Description:       b.Description,
		Subjects:          []string{"$KV." + b.Bucket + ".>"},
		Storage:           b.Storage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardNew,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgsPerSubject: int64(max(b.History, 1)),
		Replicas:          b.Replicas,
		AllowDirect:       true,
		AllowRollup:       true,
		DenyDelete:        true,
	}
}

// sameReplicas tells whether have keeps as many copies as want (a stream
// created without a count has one).
func sameReplicas(have, want jetstream.StreamConfig) bool {
	return max(have.Replicas, 1) == max(want.Replicas, 1)
}

// differs names the first setting of have that is not want's, or is "".
// Settings that would let a stream take in other subjects or other streams'
// messages, or stop taking any, must be absent.
func differs(have, want jetstream.StreamConfig) string {
	a, b := slices.Sorted(slices.Values(have.Subjects)), slices.Sorted(slices.Values(want.Subjects))
	switch {
	case have.Description != want.Description:
		return "description"
	case !slices.Equal(a, b):
		return "subjects"
	case have.Storage != want.Storage:
		return "storage"
	case have.Retention != want.Retention:
		return "retention"
	case have.Discard != want.Discard:
		return "discard"
	case have.MaxMsgs != want.MaxMsgs, have.MaxBytes != want.MaxBytes, have.MaxAge != want.MaxAge:
		return "limits"
	case want.MaxMsgsPerSubject != 0 && have.MaxMsgsPerSubject != want.MaxMsgsPerSubject:
		return "history"
	case want.Duplicates != 0 && have.Duplicates != want.Duplicates:
		return "duplicate window"
	case have.AllowDirect != want.AllowDirect, have.AllowAtomicPublish != want.AllowAtomicPublish,
		have.AllowMsgSchedules != want.AllowMsgSchedules, have.AllowRollup != want.AllowRollup,
		have.AllowMsgTTL != want.AllowMsgTTL:
		return "allowed operations"
	case have.DenyDelete != want.DenyDelete, have.DenyPurge != want.DenyPurge:
		return "denied operations"
	case have.Sealed:
		return "sealed"
	case have.Mirror != nil, len(have.Sources) > 0:
		return "mirror or sources"
	case have.SubjectTransform != nil, have.RePublish != nil:
		return "subject transform or republish"
	}
	return ""
}
