package sim

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// coalescedPair returns a coalescing server side and a plain client side of a TCP connection.
func coalescedPair(t *testing.T, delay time.Duration) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cl := &coalescingListener{Listener: ln, delay: delay}
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := cl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return server, client
}

func TestCoalescingConnDelaysAndOrders(t *testing.T) {
	t.Parallel()
	server, client := coalescedPair(t, 150*time.Millisecond)
	var want bytes.Buffer
	for i := range 10 {
		p := bytes.Repeat([]byte{byte(i)}, 100+i)
		want.Write(p)
		if n, err := server.Write(p); err != nil || n != len(p) {
			t.Fatal(n, err)
		}
	}
	client.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := client.Read(make([]byte, 10)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes before the delay (%v)", n, err)
	}
	client.SetReadDeadline(time.Now().Add(2 * time.Second))
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
}

func TestCoalescingConnLargeWritesAndClose(t *testing.T) {
	t.Parallel()
	server, client := coalescedPair(t, time.Hour) // only size and Close flush
	big := bytes.Repeat([]byte("x"), coalesceLimit+10)
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		done <- b
	}()
	if _, err := server.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Write(big); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if want := "a" + string(big) + "bye"; string(got) != want {
		t.Fatalf("got %d bytes, want %d", len(got), len(want))
	}
	if _, err := server.Write([]byte("late")); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

func TestCoalescingConnReportsFlushErrors(t *testing.T) {
	t.Parallel()
	server, client := coalescedPair(t, time.Millisecond)
	client.(*net.TCPConn).SetLinger(0)
	client.Close() // reset
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		_, err = server.Write(make([]byte, 1000))
		time.Sleep(2 * time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a reset connection never fail")
	}
}
