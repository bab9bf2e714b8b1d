// The HUD tiles: latest sample and primary-window stats of the selected target, the status with its
// reason, a live clock, and the offline banner. Reads the store's objects; writes text only.
import { $, setText } from './dom.js';
import { fmtClock, fmtMs, fmtPct, fmtSignedMs, NONE } from './format.js';
import { lossLines, rtoLines } from './labels.js';
import { statusClass, statusLabel } from './status.js';

export class Hud {
  constructor() {
    this.root_ = $('hud');
    this.banner_ = $('banner');
    this.f_ = {};
    for (const id of ['rtt', 'rtt-sub', 'proc', 'proc-sub', 'loss', 'loss-sub', 'loss-sub2', 'jit', 'jit-sub', 'rto',
      'rto-sub', 'rto-sub2', 'mos', 'mos-sub', 'status', 'reason', 'clock', 'age']) {
      this.f_[id] = $(`h-${id}`);
    }
    this.statusTile_ = $('h-status-tile');
  }

  // view: {target (store target or null), online (bool), banner (string|''), now (ms)}
  render({ target, online, banner, now }) {
    const f = this.f_;
    this.root_.classList.toggle('offline', !online);
    setText(this.banner_, banner);
    const s = target?.last ?? null;
    const st = target?.stats ?? null;

    const lostSample = s !== null && s.status !== 'ok';
    setText(f.rtt, s === null ? NONE : s.status === 'ok' ? fmtMs(s.rtt) : s.status.toUpperCase());
    f.rtt.classList.toggle('lost', lostSample && s.status !== 'late' && s.status !== 'duplicate');
    setText(f.proc, s === null ? NONE : s.status === 'ok' ? fmtMs(s.process) : NONE);
    setText(f['rtt-sub'], st ? `p50 ${fmtMs(st.rtt.p50)} · p95 ${fmtMs(st.rtt.p95)} · max ${fmtMs(st.rtt.max)}` : '');
    const gap = s && s.status === 'ok' && s.rtt !== null && s.process !== null ? s.process - s.rtt : null;
    setText(f['proc-sub'], gap !== null ? `gap ${fmtSignedMs(gap)} ms · p95 ${fmtMs(st?.process.p95)}` : '');

    setText(f.loss, st ? fmtPct(st.loss_pct) : NONE);
    const loss = lossLines(st);
    setText(f['loss-sub'], loss.sub);
    setText(f['loss-sub2'], loss.sub2);
    setText(f.jit, st ? fmtMs(st.jitter) : NONE);
    setText(f['jit-sub'], st ? `rfc3550 ${fmtMs(st.jitter_rfc3550)}` : '');
    const rto = rtoLines(st);
    setText(f.rto, rto.value);
    setText(f['rto-sub'], rto.sub);
    setText(f['rto-sub2'], rto.sub2);
    setText(f.mos, st && st.mos !== null ? st.mos.toFixed(2) : NONE);
    setText(f['mos-sub'], s && s.ttl !== null ? `ttl ${s.ttl} · ${s.clock ?? ''}` : '');

    const cls = statusClass(st?.status, online);
    this.statusTile_.className = `tile status st-${cls}`;
    setText(f.status, statusLabel(st?.status, online));
    setText(f.reason, st?.reason ?? '');
    this.tick(now, s);
  }

  // The clock and the age of the last sample; called every second and on every render.
  tick(now, lastSample) {
    setText(this.f_.clock, fmtClock(now));
    if (lastSample) {
      const age = Math.max(0, (now - lastSample.ts) / 1000);
      setText(this.f_.age, `seq ${lastSample.seq ?? NONE} · ${age < 10 ? age.toFixed(1) : age.toFixed(0)} s ago`);
    } else {
      setText(this.f_.age, 'no sample yet');
    }
  }
}
