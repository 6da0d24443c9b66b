// A typed MessagePack reader, as a statically typed peer written in Go
// would decode our replies and deliveries (vmihailenco/msgpack v5, Debian's
// golang-github-vmihailenco-msgpack.v5-dev). Every integer field of the
// contract (timestamp, clock, rank, time, counts, …) is an int64, so a value
// sent as float64 (0xcb) fails with "msgpack: invalid code=cb decoding
// int64", which is what typed-decoder.test.ts checks for everything our
// processes send.
//
// Input, one per line: `<kind> <hex bytes of one payload>`. Output, one JSON
// line per input line, in order: {"kind":…, "ok":bool, "error":"…"}.
// Besides the typed decode, the payload is decoded once more into a generic
// tree, and any float anywhere in it (also in fields no struct names) is an
// error, with its path.
//
// Build (GOPATH mode, the Debian package lives in /usr/share/gocode):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o typed_decode typed_decode.go
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
)

// Stamp is what every `data` map carries.
type Stamp struct {
	Timestamp *int64 `msgpack:"timestamp"`
	Clock     *int64 `msgpack:"clock"`
}

func (s *Stamp) checkStamp() error {
	if s.Timestamp == nil {
		return fmt.Errorf("data.timestamp missing")
	}
	if s.Clock == nil {
		return fmt.Errorf("data.clock missing")
	}
	return nil
}

type stamped interface{ checkStamp() error }

// Envelope is `{service, data}`, with the top-level `message` and
// `timestamp` some deliveries carry beside them (optional).
type Envelope[D any] struct {
	Service   *string `msgpack:"service"`
	Data      *D      `msgpack:"data"`
	Message   *string `msgpack:"message"`
	Timestamp *int64  `msgpack:"timestamp"`
	Clock     *int64  `msgpack:"clock"`
}

type StatusData struct {
	Stamp       `msgpack:",inline"`
	Status      *string `msgpack:"status"`
	Description *string `msgpack:"description"`
	Message     *string `msgpack:"message"`
	ID          *string `msgpack:"id"`
}

type UsersData struct {
	Stamp `msgpack:",inline"`
	Users *[]string `msgpack:"users"`
}

type ChannelsData struct {
	Stamp    `msgpack:",inline"`
	Channels *[]string `msgpack:"channels"`
}

type ChatMessage struct {
	ID        *string `msgpack:"id"`
	User      *string `msgpack:"user"`
	Channel   *string `msgpack:"channel"`
	Src       *string `msgpack:"src"`
	Dst       *string `msgpack:"dst"`
	Message   *string `msgpack:"message"`
	Timestamp *int64  `msgpack:"timestamp"`
	Clock     *int64  `msgpack:"clock"`
}

type HistoryData struct {
	Stamp    `msgpack:",inline"`
	Status   *string        `msgpack:"status"`
	Messages *[]ChatMessage `msgpack:"messages"`
}

type ElectionAnnouncement struct {
	Stamp       `msgpack:",inline"`
	Coordinator *string `msgpack:"coordinator"`
}

type RankData struct {
	Stamp `msgpack:",inline"`
	Rank  *int64 `msgpack:"rank"`
}

type ListEntry struct {
	Name    *string `msgpack:"name"`
	Rank    *int64  `msgpack:"rank"`
	Address *string `msgpack:"address"`
}

type ListData struct {
	Stamp `msgpack:",inline"`
	List  *[]ListEntry `msgpack:"list"`
}

type HeartbeatData struct {
	Stamp  `msgpack:",inline"`
	Status *string `msgpack:"status"`
}

type ClockData struct {
	Stamp `msgpack:",inline"`
	Time  *int64 `msgpack:"time"`
}

type AdjustData struct {
	Stamp  `msgpack:",inline"`
	Offset *int64 `msgpack:"offset"`
}

type ElectionData struct {
	Stamp    `msgpack:",inline"`
	Election *string `msgpack:"election"`
}

type ServerStatusData struct {
	Stamp         `msgpack:",inline"`
	Name          *string          `msgpack:"name"`
	Rank          *int64           `msgpack:"rank"` // null before the server is ranked
	Address       *string          `msgpack:"address"`
	Coordinator   *string          `msgpack:"coordinator"` // null while none is known
	IsCoordinator *bool            `msgpack:"isCoordinator"`
	Time          *int64           `msgpack:"time"`
	Offset        *int64           `msgpack:"offset"`
	Count         *int64           `msgpack:"count"`
	Vector        map[string]int64 `msgpack:"vector"`
	Digest        *string          `msgpack:"digest"`
	Peers         []string         `msgpack:"peers"`
}

// Record is a stored record as servers exchange them (replication, fetch).
type Record struct {
	Origin    *string `msgpack:"origin"`
	Seq       *int64  `msgpack:"seq"`
	Kind      *string `msgpack:"kind"`
	ID        *string `msgpack:"id"`
	User      *string `msgpack:"user"`
	Channel   *string `msgpack:"channel"`
	Src       *string `msgpack:"src"`
	Dst       *string `msgpack:"dst"`
	Message   *string `msgpack:"message"`
	Timestamp *int64  `msgpack:"timestamp"`
	Clock     *int64  `msgpack:"clock"`
}

type VectorData struct {
	Stamp  `msgpack:",inline"`
	Vector map[string]int64 `msgpack:"vector"`
	Origin *string          `msgpack:"origin"`
}

type FetchData struct {
	Stamp   `msgpack:",inline"`
	Records *[]Record `msgpack:"records"`
}

type PushData struct {
	Stamp   `msgpack:",inline"`
	From    *string   `msgpack:"from"`
	Origin  *string   `msgpack:"origin"`
	Address *string   `msgpack:"address"`
	Records *[]Record `msgpack:"records"`
}

// SeedReply is the flat reply of the seed team's dialect: no service/data.
type SeedReply struct {
	Status      *string   `msgpack:"status"`
	Clock       *int64    `msgpack:"clock"`
	Timestamp   *int64    `msgpack:"timestamp"`
	Users       *[]string `msgpack:"users"`
	Channels    *[]string `msgpack:"channels"`
	Message     *string   `msgpack:"message"`
	Description *string   `msgpack:"description"`
}

func need(present bool, what string) error {
	if !present {
		return fmt.Errorf("%s missing", what)
	}
	return nil
}

func first(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// envelope decodes `{service, data}` with a typed data and checks the
// service name (empty: any) and the stamp.
func envelope[D any](payload []byte, service string) (*Envelope[D], error) {
	var env Envelope[D]
	if err := unmarshal(payload, &env); err != nil {
		return nil, err
	}
	if env.Service == nil {
		return nil, fmt.Errorf("service missing")
	}
	if service != "" && *env.Service != service {
		return nil, fmt.Errorf("service is %q, expected %q", *env.Service, service)
	}
	if env.Data == nil {
		return nil, fmt.Errorf("data missing")
	}
	if s, ok := any(env.Data).(stamped); ok {
		if err := s.checkStamp(); err != nil {
			return nil, err
		}
	}
	return &env, nil
}

// unmarshal decodes exactly one item filling the whole payload.
func unmarshal(payload []byte, v any) error {
	r := bytes.NewReader(payload)
	dec := msgpack.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	if r.Len() != 0 {
		return fmt.Errorf("%d trailing bytes", r.Len())
	}
	return nil
}

func statusIs(s *string, want ...string) error {
	if s == nil {
		return fmt.Errorf("data.status missing")
	}
	for _, w := range want {
		if *s == w {
			return nil
		}
	}
	return fmt.Errorf("data.status is %q, expected %s", *s, strings.Join(want, " or "))
}

func checkMessages(ms []ChatMessage, field string) error {
	for i, m := range ms {
		p := fmt.Sprintf("%s[%d]", field, i)
		if err := first(need(m.ID != nil, p+".id"), need(m.Message != nil, p+".message"),
			need(m.Timestamp != nil, p+".timestamp"), need(m.Clock != nil, p+".clock")); err != nil {
			return err
		}
		pub := m.User != nil && m.Channel != nil
		pm := m.Src != nil && m.Dst != nil
		if !pub && !pm {
			return fmt.Errorf("%s has neither user+channel nor src+dst", p)
		}
	}
	return nil
}

func checkRecords(rs []Record, field string) error {
	for i, r := range rs {
		p := fmt.Sprintf("%s[%d]", field, i)
		if err := first(need(r.Origin != nil, p+".origin"), need(r.Seq != nil, p+".seq"), need(r.Kind != nil, p+".kind"),
			need(r.Timestamp != nil, p+".timestamp"), need(r.Clock != nil, p+".clock")); err != nil {
			return err
		}
	}
	return nil
}

func statusReply(payload []byte, service string, ok ...string) error {
	env, err := envelope[StatusData](payload, service)
	if err != nil {
		return err
	}
	return statusIs(env.Data.Status, ok...)
}

func decodeKind(kind string, payload []byte) error {
	switch kind {
	case "login", "channel":
		return statusReply(payload, kind, "sucesso")
	case "publish", "message":
		env, err := envelope[StatusData](payload, kind)
		if err != nil {
			return err
		}
		return first(statusIs(env.Data.Status, "OK"), need(env.Data.ID != nil, "data.id"))
	case "users":
		env, err := envelope[UsersData](payload, "users")
		if err != nil {
			return err
		}
		return need(env.Data.Users != nil, "data.users")
	case "channels":
		env, err := envelope[ChannelsData](payload, "channels")
		if err != nil {
			return err
		}
		return need(env.Data.Channels != nil, "data.channels")
	case "history":
		env, err := envelope[HistoryData](payload, "history")
		if err != nil {
			return err
		}
		if err := need(env.Data.Messages != nil, "data.messages"); err != nil {
			return err
		}
		return checkMessages(*env.Data.Messages, "data.messages")
	case "erro":
		env, err := envelope[StatusData](payload, "")
		if err != nil {
			return err
		}
		if err := statusIs(env.Data.Status, "erro"); err != nil {
			return err
		}
		return need(env.Data.Description != nil || env.Data.Message != nil, "data.description or data.message")
	case "error":
		env, err := envelope[StatusData](payload, "error")
		if err != nil {
			return err
		}
		return first(statusIs(env.Data.Status, "erro"), need(env.Data.Description != nil, "data.description"))
	case "delivery-publish", "delivery-message":
		service := strings.TrimPrefix(kind, "delivery-")
		env, err := envelope[ChatMessage](payload, service)
		if err != nil {
			return err
		}
		return checkMessages([]ChatMessage{*env.Data}, "data")
	case "seed-delivery":
		env, err := envelope[ChatMessage](payload, "")
		if err != nil {
			return err
		}
		if err := first(need(env.Message != nil, "message (top level)"), need(env.Timestamp != nil, "timestamp (top level)")); err != nil {
			return err
		}
		return checkMessages([]ChatMessage{*env.Data}, "data")
	case "servers":
		env, err := envelope[ElectionAnnouncement](payload, "election")
		if err != nil {
			return err
		}
		return need(env.Data.Coordinator != nil, "data.coordinator")
	case "rank":
		env, err := envelope[RankData](payload, "rank")
		if err != nil {
			return err
		}
		return need(env.Data.Rank != nil, "data.rank")
	case "list":
		env, err := envelope[ListData](payload, "list")
		if err != nil {
			return err
		}
		if err := need(env.Data.List != nil, "data.list"); err != nil {
			return err
		}
		for i, e := range *env.Data.List {
			p := fmt.Sprintf("data.list[%d]", i)
			if err := first(need(e.Name != nil, p+".name"), need(e.Rank != nil, p+".rank")); err != nil {
				return err
			}
		}
		return nil
	case "heartbeat":
		env, err := envelope[HeartbeatData](payload, "heartbeat")
		if err != nil {
			return err
		}
		if env.Data.Status != nil && *env.Data.Status == "erro" {
			return fmt.Errorf("heartbeat refused")
		}
		return nil
	case "clock":
		env, err := envelope[ClockData](payload, "clock")
		if err != nil {
			return err
		}
		return need(env.Data.Time != nil, "data.time")
	case "clock-adjust":
		env, err := envelope[AdjustData](payload, "clock-adjust")
		if err != nil {
			return err
		}
		return need(env.Data.Offset != nil, "data.offset")
	case "election":
		env, err := envelope[ElectionData](payload, "election")
		if err != nil {
			return err
		}
		if env.Data.Election == nil || *env.Data.Election != "OK" {
			return fmt.Errorf("data.election is not \"OK\"")
		}
		return nil
	case "status":
		env, err := envelope[ServerStatusData](payload, "status")
		if err != nil {
			return err
		}
		d := env.Data
		return first(need(d.Name != nil, "data.name"), need(d.Address != nil, "data.address"),
			need(d.IsCoordinator != nil, "data.isCoordinator"), need(d.Time != nil, "data.time"),
			need(d.Offset != nil, "data.offset"), need(d.Count != nil, "data.count"),
			need(d.Vector != nil, "data.vector"), need(d.Digest != nil, "data.digest"))
	case "vector":
		env, err := envelope[VectorData](payload, "vector")
		if err != nil {
			return err
		}
		return need(env.Data.Vector != nil, "data.vector")
	case "fetch":
		env, err := envelope[FetchData](payload, "fetch")
		if err != nil {
			return err
		}
		if err := need(env.Data.Records != nil, "data.records"); err != nil {
			return err
		}
		return checkRecords(*env.Data.Records, "data.records")
	case "replication":
		env, err := envelope[PushData](payload, "")
		if err != nil {
			return err
		}
		if env.Data.Records == nil {
			return nil // an acknowledgement or another replication message: only the generic check applies
		}
		return checkRecords(*env.Data.Records, "data.records")
	case "seed":
		var r SeedReply
		if err := unmarshal(payload, &r); err != nil {
			return err
		}
		return first(need(r.Status != nil, "status (top level)"), need(r.Clock != nil, "clock (top level)"),
			need(r.Timestamp != nil, "timestamp (top level)"))
	}
	return fmt.Errorf("unknown kind %q", kind)
}

// floats walks the generic decoding and lists the path of every float
// (array elements as `[*]`), each path once.
func floats(v any, path string, out *[]string) {
	switch x := v.(type) {
	case float32, float64:
		p := fmt.Sprintf("%s (%T)", path, x)
		for _, seen := range *out {
			if seen == p {
				return
			}
		}
		*out = append(*out, p)
	case []any:
		for _, e := range x {
			floats(e, path+"[*]", out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			floats(x[k], p, out)
		}
	}
}

type result struct {
	Kind  string `json:"kind"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func check(line string) result {
	kind, hexPart, found := strings.Cut(strings.TrimSpace(line), " ")
	res := result{Kind: kind}
	if !found {
		res.Error = "expected `<kind> <hex>`"
		return res
	}
	payload, err := hex.DecodeString(strings.TrimSpace(hexPart))
	if err != nil {
		res.Error = "bad hex: " + err.Error()
		return res
	}
	// The generic tree names every float's path, for the typed error too.
	var tree any
	var fs []string
	genericErr := unmarshal(payload, &tree)
	if genericErr == nil {
		floats(tree, "", &fs)
	}
	if err := decodeKind(kind, payload); err != nil {
		res.Error = err.Error()
		if len(fs) > 0 {
			res.Error += " (floats at " + strings.Join(fs, ", ") + ")"
		}
		return res
	}
	if genericErr != nil {
		res.Error = "generic decode: " + genericErr.Error()
		return res
	}
	if len(fs) > 0 {
		res.Error = "float where an integer belongs: " + strings.Join(fs, ", ")
		return res
	}
	res.OK = true
	return res
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if strings.TrimSpace(in.Text()) == "" {
			continue
		}
		if err := out.Encode(check(in.Text())); err != nil {
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
