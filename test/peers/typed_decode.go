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

// ChatMessage is a post or a private message, as delivered and as `history`
// lists it.
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

// Record is a stored record as servers exchange them (replication, fetch):
// a chat message's fields (all optional here) with its origin, seq and kind.
type Record struct {
	Origin      *string `msgpack:"origin"`
	Seq         *int64  `msgpack:"seq"`
	Kind        *string `msgpack:"kind"`
	ChatMessage `msgpack:",inline"`
}

type ListEntry struct {
	Name    *string `msgpack:"name"`
	Rank    *int64  `msgpack:"rank"`
	Address *string `msgpack:"address"`
}

// Data is every field a `data` map of ours may carry, each with the type
// the contract gives it (a chat message's fields, `message` also as the
// error text); which ones a kind needs is checked in `kinds`.
type Data struct {
	ChatMessage   `msgpack:",inline"`
	Status        *string          `msgpack:"status"`
	Description   *string          `msgpack:"description"`
	Users         *[]string        `msgpack:"users"`
	Channels      *[]string        `msgpack:"channels"`
	Messages      *[]ChatMessage   `msgpack:"messages"`
	Rank          *int64           `msgpack:"rank"` // null in `status` before the server is ranked
	List          *[]ListEntry     `msgpack:"list"`
	Time          *int64           `msgpack:"time"`
	Offset        *int64           `msgpack:"offset"`
	Election      *string          `msgpack:"election"`
	Coordinator   *string          `msgpack:"coordinator"` // null in `status` while none is known
	Name          *string          `msgpack:"name"`
	Address       *string          `msgpack:"address"`
	IsCoordinator *bool            `msgpack:"isCoordinator"`
	Count         *int64           `msgpack:"count"`
	Vector        map[string]int64 `msgpack:"vector"`
	Digest        *string          `msgpack:"digest"`
	Peers         []string         `msgpack:"peers"`
	From          *string          `msgpack:"from"`
	Origin        *string          `msgpack:"origin"`
	Records       *[]Record        `msgpack:"records"`
}

// Envelope is `{service, data}`, with the top-level `message` and
// `timestamp` some deliveries carry beside them (optional).
type Envelope struct {
	Service   *string `msgpack:"service"`
	Data      *Data   `msgpack:"data"`
	Message   *string `msgpack:"message"`
	Timestamp *int64  `msgpack:"timestamp"`
	Clock     *int64  `msgpack:"clock"`
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

// envelope decodes `{service, data}` and checks the service name (empty:
// any) and the stamp every `data` carries.
func envelope(payload []byte, service string) (*Envelope, error) {
	var env Envelope
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
	return &env, first(need(env.Data.Timestamp != nil, "data.timestamp"), need(env.Data.Clock != nil, "data.clock"))
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

// typed decodes `{service, data}` (service "": any) and checks its data
// with `check`.
func typed(service string, check func(d *Data) error) func([]byte) error {
	return func(payload []byte) error {
		env, err := envelope(payload, service)
		if err != nil {
			return err
		}
		return check(env.Data)
	}
}

// status checks that data.status is one of `ok`.
func status(ok ...string) func(*Data) error {
	return func(d *Data) error { return statusIs(d.Status, ok...) }
}

func okWithID(d *Data) error {
	return first(statusIs(d.Status, "OK"), need(d.ID != nil, "data.id"))
}

func delivered(d *Data) error {
	return checkMessages([]ChatMessage{d.ChatMessage}, "data")
}

func records(d *Data) error {
	if err := need(d.Records != nil, "data.records"); err != nil {
		return err
	}
	return checkRecords(*d.Records, "data.records")
}

// kinds maps each kind of payload the test captures to its typed check.
var kinds = map[string]func([]byte) error{
	"login":    typed("login", status("sucesso")),
	"channel":  typed("channel", status("sucesso")),
	"publish":  typed("publish", okWithID),
	"message":  typed("message", okWithID),
	"users":    typed("users", func(d *Data) error { return need(d.Users != nil, "data.users") }),
	"channels": typed("channels", func(d *Data) error { return need(d.Channels != nil, "data.channels") }),
	"history": typed("history", func(d *Data) error {
		if err := need(d.Messages != nil, "data.messages"); err != nil {
			return err
		}
		return checkMessages(*d.Messages, "data.messages")
	}),
	"erro": typed("", func(d *Data) error {
		return first(statusIs(d.Status, "erro"), need(d.Description != nil || d.Message != nil, "data.description or data.message"))
	}),
	"error": typed("error", func(d *Data) error {
		return first(statusIs(d.Status, "erro"), need(d.Description != nil, "data.description"))
	}),
	"delivery-publish": typed("publish", delivered),
	"delivery-message": typed("message", delivered),
	"seed-delivery": func(payload []byte) error {
		env, err := envelope(payload, "")
		if err != nil {
			return err
		}
		return first(need(env.Message != nil, "message (top level)"), need(env.Timestamp != nil, "timestamp (top level)"), delivered(env.Data))
	},
	"servers": typed("election", func(d *Data) error { return need(d.Coordinator != nil, "data.coordinator") }),
	"rank":    typed("rank", func(d *Data) error { return need(d.Rank != nil, "data.rank") }),
	"list": typed("list", func(d *Data) error {
		if err := need(d.List != nil, "data.list"); err != nil {
			return err
		}
		for i, l := range *d.List {
			p := fmt.Sprintf("data.list[%d]", i)
			if err := first(need(l.Name != nil, p+".name"), need(l.Rank != nil, p+".rank")); err != nil {
				return err
			}
		}
		return nil
	}),
	"heartbeat": typed("heartbeat", func(d *Data) error {
		if d.Status != nil && *d.Status == "erro" {
			return fmt.Errorf("heartbeat refused")
		}
		return nil
	}),
	"clock":        typed("clock", func(d *Data) error { return need(d.Time != nil, "data.time") }),
	"clock-adjust": typed("clock-adjust", func(d *Data) error { return need(d.Offset != nil, "data.offset") }),
	"election": typed("election", func(d *Data) error {
		if d.Election == nil || *d.Election != "OK" {
			return fmt.Errorf("data.election is not \"OK\"")
		}
		return nil
	}),
	"status": typed("status", func(d *Data) error {
		return first(need(d.Name != nil, "data.name"), need(d.Address != nil, "data.address"),
			need(d.IsCoordinator != nil, "data.isCoordinator"), need(d.Time != nil, "data.time"),
			need(d.Offset != nil, "data.offset"), need(d.Count != nil, "data.count"),
			need(d.Vector != nil, "data.vector"), need(d.Digest != nil, "data.digest"))
	}),
	"vector": typed("vector", func(d *Data) error { return need(d.Vector != nil, "data.vector") }),
	"fetch":  typed("fetch", records),
	"replication": typed("", func(d *Data) error {
		if d.Records == nil {
			return nil // an acknowledgement or another replication message: only the generic check applies
		}
		return records(d)
	}),
	// The seed team's dialect answers flat: the data's fields at the top level, no service.
	"seed": func(payload []byte) error {
		var r Data
		if err := unmarshal(payload, &r); err != nil {
			return err
		}
		return first(need(r.Status != nil, "status (top level)"), need(r.Clock != nil, "clock (top level)"),
			need(r.Timestamp != nil, "timestamp (top level)"))
	},
}

func decodeKind(kind string, payload []byte) error {
	if check, ok := kinds[kind]; ok {
		return check(payload)
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
