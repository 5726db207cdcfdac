package serve

import (
	"context"
	"time"
)

// Supervise runs run until ctx is done, starting it again after a growing delay (from
// 100ms, at most 30s) whenever it fails, and telling onErr; a broker outage or a leader
// election then costs a restart, not the worker.
func Supervise(ctx context.Context, run func(context.Context) error, onErr func(error, time.Duration)) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		err := run(ctx)
		if err == nil || ctx.Err() != nil {
			continue
		}
		if time.Since(began) > time.Minute {
			delay = 100 * time.Millisecond // it ran well for a while: a new outage
		}
		if onErr != nil {
			onErr(err, delay)
		}
		sleep(ctx, delay)
		delay = min(2*delay, 30*time.Second)
	}
}
