//go:build linux

package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The DevTools client below is internal/oauth's browser test helper, copied:
// test helpers of another package cannot be imported.

const chromiumPath = "/usr/bin/chromium"

// browser is headless Chromium driven over the DevTools protocol, with a
// minimal WebSocket client of our own (the standard library has none).
type browser struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
	next int
}

func startBrowser(t *testing.T, extraFlags ...string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing: run `make test-browser` (it installs Debian's chromium) to run the browser tests", chromiumPath)
	}
	dir, err := os.MkdirTemp("", "devhub-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--headless=new", "--remote-debugging-port=0",
		"--remote-debugging-address=127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + dir}, extraFlags...)
	cmd := exec.Command(chromiumPath, append(args, "about:blank")...)
	// Its own process group, so that its helper processes end with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		for range 10 { // helpers may still be letting go of files
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok {
				wsURL <- rest
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-wsURL:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not start")
	}
	u, _ := url.Parse(browserWS)
	// A page target of its own, opened on about:blank.
	req, _ := http.NewRequest(http.MethodPut, "http://"+u.Host+"/json/new?about:blank", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var target struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	err = json.NewDecoder(res.Body).Decode(&target)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t}
	b.dial(target.WebSocketDebuggerURL)
	t.Cleanup(func() { b.conn.Close() })
	b.call("Page.enable", nil)
	return b
}

// dial opens the WebSocket (RFC 6455 client handshake).
func (b *browser) dial(raw string) {
	u, _ := url.Parse(raw)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		b.t.Fatal(err)
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(k[:]))
	b.conn, b.rd = conn, bufio.NewReader(conn)
	res, err := http.ReadResponse(b.rd, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		b.t.Fatalf("websocket handshake: %v %v", res, err)
	}
}

func (b *browser) write(msg []byte) {
	hdr := []byte{0x81} // FIN, text
	switch n := len(msg); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	body := make([]byte, len(msg))
	for i := range msg {
		body[i] = msg[i] ^ mask[i%4]
	}
	if _, err := b.conn.Write(append(hdr, body...)); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) read() []byte {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(b.rd, h[:]); err != nil {
			b.t.Fatal(err)
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, _ = io.ReadFull(b.rd, l[:])
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, _ = io.ReadFull(b.rd, l[:])
			n = binary.BigEndian.Uint64(l[:])
		}
		part := make([]byte, n)
		if _, err := io.ReadFull(b.rd, part); err != nil {
			b.t.Fatal(err)
		}
		if op := h[0] & 0x0f; op == 0x9 || op == 0xa { // ping, pong: skip
			continue
		}
		msg = append(msg, part...)
		if h[0]&0x80 != 0 {
			return msg
		}
	}
}

// call sends a DevTools command and returns its result, skipping events.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.next++
	id := b.next
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	_ = b.conn.SetDeadline(time.Now().Add(30 * time.Second))
	b.write(msg)
	for {
		var res struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b.read(), &res); err != nil {
			b.t.Fatal(err)
		}
		if res.ID != id {
			continue
		}
		if res.Error != nil {
			b.t.Fatalf("%s: %s", method, res.Error.Message)
		}
		return res.Result
	}
}

// eval evaluates expr in the page and decodes its value into v.
func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &res); err != nil {
		b.t.Fatal(err)
	}
	if v != nil && len(res.Result.Value) > 0 {
		_ = json.Unmarshal(res.Result.Value, v)
	}
}

// waitFor polls expr until it is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		b.eval(expr, &ok)
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	var href, body string
	b.eval("location.href", &href)
	b.eval("document.body ? document.body.innerText : ''", &body)
	b.t.Fatalf("waiting for %s: at %s: %s", what, href, body)
}

// click presses and releases the mouse on the middle of the element.
func (b *browser) click(selector string) {
	b.t.Helper()
	var r struct{ X, Y float64 }
	b.eval(`(() => { const r = document.querySelector(`+jsString(selector)+`).getBoundingClientRect();
		return {X: r.x + r.width/2, Y: r.y + r.height/2}; })()`, &r)
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		b.call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": r.X, "y": r.Y, "button": "left", "clickCount": 1})
	}
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestBrowserSampleAppInstall: in headless Chromium, /dev/login sets the
// session cookie; the Sample app's install link leads through the sample
// app's own install page to the consent page (the Lax cookie rides the
// top-level redirects); "Allow and install" lands on the sample app, which
// exchanged the code. The browser trusts exactly the sample app's key.
func TestBrowserSampleAppInstall(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing: run `make test-browser` first", chromiumPath)
	}
	storyEnv(t)
	r := startRunner(t)
	leafPEM, err := os.ReadFile(filepath.Join(filepath.Dir(r.caPath), "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(leafPEM)
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	b := startBrowser(t, "--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]))

	b.call("Page.navigate", map[string]any{"url": r.base + "/dev/login?return_to=/healthz"})
	b.waitFor("the login form", `!!document.querySelector("#user_id")`)
	b.eval(`document.querySelector("#user_id").value = "bea"; document.querySelector("#company_id").value = "bakery";
		document.querySelector("#name").value = "Bea"; true`, nil)
	b.click(`button[type="submit"]`)
	b.waitFor("the return to /healthz", `location.pathname === "/healthz"`)

	link := regexp.MustCompile(`install link of "Sample app" \(\S+\): (\S+)`).FindStringSubmatch(r.out.String())[1]
	b.call("Page.navigate", map[string]any{"url": link})
	b.waitFor("the consent page", `!!document.querySelector("#allow")`)
	var who string
	b.eval(`document.body.innerText`, &who)
	if !strings.Contains(who, "bea") || !strings.Contains(who, "bakery") {
		t.Errorf("consent page is not for bea of bakery:\n%s", who)
	}
	b.click("#allow")
	b.waitFor("the sample app's install page", `document.body && document.body.innerText.includes("Sample app installed")`)
	var page string
	b.eval(`location.origin + " " + document.body.innerText`, &page)
	if !strings.HasPrefix(page, r.sample) || !strings.Contains(page, "bakery") || !strings.Contains(page, "base deals:read contacts:read") {
		t.Errorf("landed on:\n%s", page)
	}
}
