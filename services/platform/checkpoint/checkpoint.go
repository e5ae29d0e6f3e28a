// Package checkpoint stores how far a reader of the event log has come: a
// relay, a projection or any subscriber that resumes after a restart.
package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/complaintflow/complaintflow/services/platform/eventlog"
)

// Store keeps one position per named reader.
type Store interface {
	// Load returns the reader's saved position, or eventlog.Beginning when it
	// has none.
	Load(ctx context.Context, reader string) (eventlog.Position, error)
	// Save records the reader's position. Positions only move forward: saving
	// a position lower than the saved one is an error.
	Save(ctx context.Context, reader string, p eventlog.Position) error
}

// ErrBackwards is returned by Save for a position behind the saved one.
var ErrBackwards = errors.New("checkpoint: position would move backwards")

// KV is a Store in a JetStream key-value bucket (file storage, one value per
// reader, no history).
type KV struct{ kv jetstream.KeyValue }

// NewKV opens or creates the bucket.
func NewKV(ctx context.Context, js jetstream.JetStream, bucket string) (*KV, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "positions of event-log readers",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint bucket %s: %w", bucket, err)
	}
	return &KV{kv: kv}, nil
}

// Load implements Store.
func (s *KV) Load(ctx context.Context, reader string) (eventlog.Position, error) {
	e, err := s.kv.Get(ctx, reader)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return eventlog.Beginning, nil
	}
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", reader, err)
	}
	p, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %s: %w", reader, err)
	}
	return eventlog.Position(p), nil
}

// Save implements Store. A compare-and-set on the key's revision keeps two
// writers from moving one checkpoint backwards.
func (s *KV) Save(ctx context.Context, reader string, p eventlog.Position) error {
	value := []byte(strconv.FormatUint(uint64(p), 10))
	for {
		e, err := s.kv.Get(ctx, reader)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := s.kv.Create(ctx, reader, value); err == nil {
				return nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("checkpoint %s: %w", reader, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", reader, err)
		}
		cur, _ := strconv.ParseUint(string(e.Value()), 10, 64)
		if uint64(p) < cur {
			return fmt.Errorf("%w: %s at %d, asked %d", ErrBackwards, reader, cur, p)
		}
		if uint64(p) == cur {
			return nil
		}
		if _, err := s.kv.Update(ctx, reader, value, e.Revision()); err == nil {
			return nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("checkpoint %s: %w", reader, err)
		}
	}
}
