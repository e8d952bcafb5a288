package streamlocal

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// position is what PositionFile holds.
type position struct {
	StreamARN string          `json:"stream_arn"`
	Shards    []shardPosition `json:"shards"`
}

type shardPosition struct {
	ID      string `json:"id"`
	Parent  string `json:"parent,omitempty"`
	LastSeq string `json:"last_sequence_number,omitempty"`
	Done    bool   `json:"done,omitempty"`
}

// loadPosition returns the shards kept in PositionFile for stream arn, in
// the order they were read; none when there is no file, it is unreadable
// (logged) or it belongs to another stream.
func (p *Poller) loadPosition(arn string) (map[string]*shard, []string) {
	shards := map[string]*shard{}
	if p.PositionFile == "" {
		return shards, nil
	}
	b, err := os.ReadFile(p.PositionFile)
	if errors.Is(err, fs.ErrNotExist) {
		return shards, nil
	}
	var pos position
	if err == nil {
		err = json.Unmarshal(b, &pos)
	}
	if err != nil {
		p.Logger.Warn("stream position not read; reading from the oldest record",
			slog.String("file", p.PositionFile), slog.String("error", err.Error()))
		return shards, nil
	}
	if pos.StreamARN != arn {
		return shards, nil // another table, or the table was made again
	}
	order := make([]string, 0, len(pos.Shards))
	for _, sp := range pos.Shards {
		if sp.ID == "" || shards[sp.ID] != nil {
			continue
		}
		shards[sp.ID] = &shard{id: sp.ID, parent: sp.Parent, lastSeq: sp.LastSeq, done: sp.Done}
		order = append(order, sp.ID)
	}
	return shards, order
}

// savePosition writes the position to PositionFile through a temporary file
// and a rename, so that a crash leaves the old position or the new one.
// A failure is logged: the next run then replays, which the handler allows.
func (p *Poller) savePosition(arn string, shards map[string]*shard, order []string) {
	if p.PositionFile == "" {
		return
	}
	pos := position{StreamARN: arn, Shards: make([]shardPosition, 0, len(order))}
	for _, id := range order {
		s := shards[id]
		pos.Shards = append(pos.Shards, shardPosition{ID: s.id, Parent: s.parent, LastSeq: s.lastSeq, Done: s.done})
	}
	b, err := json.MarshalIndent(pos, "", "  ")
	if err == nil {
		err = writeFileAtomic(p.PositionFile, append(b, '\n'))
	}
	if err != nil {
		p.Logger.Warn("stream position not saved", slog.String("file", p.PositionFile), slog.String("error", err.Error()))
	}
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
