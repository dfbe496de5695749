package serve

import "time"

// SetBusyWait sets how long h's predictions wait for their turn.
func SetBusyWait(h *Handler, d time.Duration) { h.busyWait = d }

// SetDecodeHook has h call f with a picture's share of MaxDecodeBytes when
// its decoding starts, and with its negative when it ends.
func SetDecodeHook(h *Handler, f func(cost int64)) { h.decodeHook = f }
