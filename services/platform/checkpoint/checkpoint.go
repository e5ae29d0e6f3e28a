// Package checkpoint stores how far a reader of the event log has come: a
// relay, a projection or any subscriber that resumes after a restart.
//
// A position means something only on the log it came from: a JetStream
// sequence number read as an EventStoreDB position would skip or replay
// events at random. So every checkpoint records the log it belongs to
// (eventlog.Origin), and one that cannot be shown to come from the log that
// reads it is refused with a *MismatchError that says what to do: one saved
// from another log, one that records no log (saved by an older version), and
// any one read by a log that cannot name itself. Only position 0, the
// beginning of every log, is taken as it is.
package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Store keeps one position per named reader, with the log it belongs to.
type Store interface {
	// Load returns the reader's saved position, or eventlog.Beginning when it
	// has none. A position saved from another log than log is refused with a
	// *MismatchError.
	Load(ctx context.Context, reader string, log eventlog.Origin) (eventlog.Position, error)
	// Save records the reader's position on log. Positions only move
	// forward: saving a position lower than the saved one is an error, and so
	// is saving over a position of another log (*MismatchError), or saving a
	// position past the beginning of a log that cannot name itself
	// (ErrUnknownLog).
	Save(ctx context.Context, reader string, log eventlog.Origin, p eventlog.Position) error
}

// ErrBackwards is returned by Save for a position behind the saved one.
var ErrBackwards = errors.New("checkpoint: position would move backwards")

// ErrUnknownLog is returned by Save for a position past the beginning of a
// log that cannot name itself yet: read back, it could not be told from a
// position of another log.
var ErrUnknownLog = errors.New("checkpoint: the log cannot name itself (no event yet, or no complaint event among its first records), so no position past its beginning is saved")

// MismatchError is returned for a checkpoint that cannot be shown to belong
// to the log that reads it.
type MismatchError struct {
	Reader, Bucket string
	// Saved is the log the checkpoint records: Kind is empty for a
	// checkpoint saved before logs were recorded, ID for one saved while its
	// log could not name itself.
	Saved, Current eventlog.Origin
	// Position is the saved position.
	Position eventlog.Position
}

func (e *MismatchError) Error() string {
	var why string
	switch {
	case e.Saved.Kind == "":
		why = fmt.Sprintf("checkpoint %q (position %d) records no log: it was saved by an older version, perhaps from the log used before a switch, and cannot be shown to belong to this log %s", e.Reader, e.Position, e.Current)
	case e.Current.ID == "":
		why = fmt.Sprintf("checkpoint %q (position %d) was saved from the log %s, but this log (%s) cannot name itself: it has no event yet, or no complaint event among its first records, so it may be another log", e.Reader, e.Position, e.Saved, e.Current)
	case e.Saved.ID == "":
		why = fmt.Sprintf("checkpoint %q (position %d) was saved from a log %s that could not name itself: it cannot be shown to belong to this log %s", e.Reader, e.Position, e.Saved, e.Current)
	default:
		why = fmt.Sprintf("checkpoint %q was saved from the log %s, but this is the log %s: its position means nothing here", e.Reader, e.Saved, e.Current)
	}
	return fmt.Sprintf("%s. To start this reader from the beginning of this log, stop its process and delete key %q in the NATS key-value bucket %q (nats kv del %s %s)",
		why, e.Reader, e.Bucket, e.Bucket, e.Reader)
}

// value is a checkpoint as stored. Checkpoints written before origins were
// recorded hold only the decimal position and no log.
type value struct {
	Log      eventlog.Origin   `json:"log"`
	Position eventlog.Position `json:"position"`
}

func decode(b []byte) (value, error) {
	if p, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		return value{Position: eventlog.Position(p)}, nil
	}
	var v value
	err := json.Unmarshal(b, &v)
	return v, err
}

// KV is a Store in a JetStream key-value bucket (file storage, one value per
// reader, no history).
type KV struct {
	kv     jetstream.KeyValue
	bucket string
}

// BucketConfig is the checkpoint bucket as the operator provisions it (see
// package provision).
func BucketConfig(bucket string) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "positions of event-log readers",
		History:     1,
		Storage:     jetstream.FileStorage,
	}
}

// NewKV opens the bucket the operator provisioned; it never creates it.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string) (*KV, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("checkpoint bucket %s (run complaintctl provision as the operator): %w", bucket, err)
	}
	return &KV{kv: kv, bucket: bucket}, nil
}

// Check refuses a checkpoint of reader at position at, saved from the log
// saved, when the reader now reads current: unless at is the beginning,
// saved and current must be known to be the same log. A checkpoint that
// records no log, or a log that could not name itself, is refused, and so is
// any checkpoint read by a log that cannot name itself.
func Check(bucket, reader string, saved eventlog.Origin, at eventlog.Position, current eventlog.Origin) error {
	if at == eventlog.Beginning || saved.Same(current) {
		return nil
	}
	return &MismatchError{Reader: reader, Bucket: bucket, Saved: saved, Current: current, Position: at}
}

// Load implements Store.
func (s *KV) Load(ctx context.Context, reader string, log eventlog.Origin) (eventlog.Position, error) {
	e, err := s.kv.Get(ctx, reader)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return eventlog.Beginning, nil
	}
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", reader, err)
	}
	v, err := decode(e.Value())
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s unreadable (delete key %q in bucket %q to start over): %w", reader, reader, s.bucket, err)
	}
	if err := Check(s.bucket, reader, v.Log, v.Position, log); err != nil {
		return 0, err
	}
	return v.Position, nil
}

// Save implements Store. A compare-and-set on the key's revision keeps two
// writers from moving one checkpoint backwards.
func (s *KV) Save(ctx context.Context, reader string, log eventlog.Origin, p eventlog.Position) error {
	data, err := json.Marshal(value{Log: log, Position: p})
	if err != nil {
		return err
	}
	for {
		e, err := s.kv.Get(ctx, reader)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if p != eventlog.Beginning && log.ID == "" {
				return fmt.Errorf("%w: %s at %d on %s", ErrUnknownLog, reader, p, log)
			}
			if _, err := s.kv.Create(ctx, reader, data); err == nil {
				return nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("checkpoint %s: %w", reader, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", reader, err)
		}
		cur, err := decode(e.Value())
		if err != nil {
			return fmt.Errorf("checkpoint %s unreadable (delete key %q in bucket %q to start over): %w", reader, reader, s.bucket, err)
		}
		if err := Check(s.bucket, reader, cur.Log, cur.Position, log); err != nil {
			return err
		}
		if p != eventlog.Beginning && log.ID == "" {
			return fmt.Errorf("%w: %s at %d on %s", ErrUnknownLog, reader, p, log)
		}
		if p < cur.Position {
			return fmt.Errorf("%w: %s at %d, asked %d", ErrBackwards, reader, cur.Position, p)
		}
		if p == cur.Position && cur.Log == log {
			return nil
		}
		if _, err := s.kv.Update(ctx, reader, data, e.Revision()); err == nil {
			return nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("checkpoint %s: %w", reader, err)
		}
	}
}
