//! Running a replication: its partitions side by side under conservative synchronisation.
//!
//! The only thing that crosses between partitions is a parcel of tubes driven to a lab, which
//! arrives at least the plan's lookahead `L` after it leaves. Two schemes follow from that, both
//! without rollback (see docs/engine.md):
//!
//! - **Stages**, when no parcel can come back round to a partition that sent one (the usual
//!   shape: points send to labs, labs send nothing). A partition that receives nothing is in
//!   stage 0; one that receives is one stage after the latest of its senders. The run goes in
//!   phases, pipelined: in phase `k` every partition of stage `s` runs reporting step `k - s`
//!   to its end, all stages at once (in parallel), then the parcels sent are delivered. A
//!   receiver runs a step only after its senders have run it to its end, so it has every parcel
//!   due before then; a day of 24 steps in 2 stages takes 25 phases.
//! - **Windows** of one lookahead otherwise (YAWNS). A window starting at `t` ends at the next
//!   reporting step, or at `e + L` if that is earlier, where `e` ≥ `t` is the earliest event
//!   pending in any partition. Within a window the partitions run independently: a parcel sent
//!   at `s` ≥ `e` arrives at `s + L` or later, at or after the window's end.
//!
//! Stages let each partition run a whole step while its state is in the cache (on the 25.7 M
//! city an hour instead of ten minutes: 14-16% less time in paired runs; docs/performance.md),
//! and the pipeline keeps the stages' partitions busy side by side. A partition takes a
//! reporting step when it has run to one, and after every phase (and every window) the caller's
//! `barrier` merges what must be merged across partitions up to the time all have reached.
//!
//! Nothing here depends on the number of threads: the plan fixes the partitions and their
//! stages, the keys fix the order of events, and the barrier work is done in partition order.

use std::time::Instant;

use rayon::prelude::*;

use super::Observer;
use super::part::{Message, Part, PartInfo};
use super::plan::Plan;
use crate::model::Model;
use crate::time::SimTime;

/// What a run did, besides what its observers saw.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunInfo {
    /// Events processed, all partitions.
    pub events: u64,
    /// Most people held in the partitions' arenas, summed over partitions.
    pub peak_people: usize,
    /// Most tube records held, summed over partitions.
    pub peak_tubes: usize,
    /// Most events pending in one partition (at window starts).
    pub peak_queue: usize,
    /// Partitions.
    pub partitions: usize,
    /// Lanes, summed over partitions: the event queues a partition runs one after another in
    /// short windows, so that a point's events run together (see `engine::plan`).
    pub lanes: usize,
    /// Stages the partitions run in, pipelined a reporting step apart (see the module's
    /// documentation); 0 when messages between partitions go round in a circle and the run goes
    /// by windows of one lookahead instead.
    pub stages: u32,
    /// Synchronisation windows: the phases of a run by stages (reporting steps plus stages less
    /// one), or the lookahead windows.
    pub windows: u64,
    /// Events summed over windows of the busiest partition of each window: the run's length in
    /// events on as many cores as partitions.
    pub critical_events: u64,
    /// Seconds of partition work, summed over partitions and windows.
    pub work_s: f64,
    /// Seconds of the busiest partition's work, summed over windows.
    pub critical_s: f64,
    /// Seconds spent at barriers (exchange, steps, merges), outside partition work.
    pub barrier_s: f64,
    /// Seconds to set the partitions up and schedule their first events.
    pub setup_s: f64,
    /// Wall-clock seconds of the windows (partition work and barriers).
    pub windows_s: f64,
    /// Seconds to finish the partitions at the horizon.
    pub finish_s: f64,
    /// Seconds to merge the partitions' figures into the run's (serial; set by the caller that
    /// merges them).
    pub merge_s: f64,
}

impl RunInfo {
    /// The parallelism the partitioning offers, counted in events: total events over the
    /// events of the critical path through the windows.
    pub fn parallelism(&self) -> f64 {
        if self.critical_events == 0 {
            1.0
        } else {
            self.events as f64 / self.critical_events as f64
        }
    }
}

/// The observers of a run's partitions, in partition order, as the barrier sees them.
pub struct Observers<'a, 'm, O: Observer>(&'a mut [Part<'m, O>]);

impl<O: Observer> Observers<'_, '_, O> {
    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no partition.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The observer of partition `p`.
    pub fn get(&mut self, p: usize) -> &mut O {
        self.0[p].observer()
    }

    /// Every observer, in partition order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut O> {
        self.0.iter_mut().map(|p| p.observer())
    }
}

impl<O: Observer + Send> Observers<'_, '_, O> {
    /// Every observer, for work on each one alone, side by side on the current rayon pool.
    pub fn par_iter_mut(&mut self) -> impl IndexedParallelIterator<Item = &mut O> {
        self.0.par_iter_mut().map(|p| p.observer())
    }
}

/// Runs replication `rep` of `model` as the partitions of `plan`, each reporting to the observer
/// `make(p)` gives it; `barrier` sees every partition's observer, in partition order, at the end
/// of every window. Returns the observers in partition order.
pub fn simulate_plan<O, F, B>(
    model: &Model,
    plan: &Plan,
    rep: u32,
    make: F,
    mut barrier: B,
) -> (Vec<O>, RunInfo)
where
    O: Observer + Send,
    F: Fn(usize) -> O,
    B: FnMut(&mut Observers<'_, '_, O>, SimTime),
{
    let setup = Instant::now();
    let observers: Vec<O> = (0..plan.parts.len()).map(make).collect();
    let mut parts: Vec<Part<'_, O>> = observers
        .into_par_iter()
        .enumerate()
        .map(|(p, o)| Part::new(model, plan, p as u32, rep, o))
        .collect();
    let stage_of = stages(model, plan);
    let last_stage = stage_of
        .as_ref()
        .map_or(0, |s| s.iter().copied().max().unwrap_or(0));
    let mut info = RunInfo {
        partitions: parts.len(),
        lanes: plan.parts.iter().map(|p| p.lanes.max(1) as usize).sum(),
        stages: stage_of.as_ref().map_or(0, |_| last_stage + 1),
        ..RunInfo::default()
    };
    for_each(&mut parts, |_, p| p.start());
    info.setup_s = setup.elapsed().as_secs_f64();
    let windows = Instant::now();
    let horizon = model.horizon;
    let step = model.report_every;
    // A partition that has run to a reporting step (not the horizon) takes it.
    let is_step = |t: SimTime| t < horizon && t.0.is_multiple_of(step.0);
    // What the barriers use is allocated once: with glibc, a request of a kilobyte or more
    // makes malloc first merge every small block freed since (the tubes a window delivered),
    // and at a barrier that work is serial (0.4-0.5 s of the 25.7 M city's ~0.85 s of barriers
    // when these buffers were allocated anew at every window).
    let mut sync = Barriers {
        before: vec![0u64; parts.len()],
        times: vec![0.0f64; parts.len()],
        mail: (0..parts.len()).map(|_| Vec::new()).collect(),
        target: vec![None; parts.len()],
        clock: vec![SimTime::ZERO; parts.len()],
    };
    match &stage_of {
        // Stages, pipelined: in phase `k` a partition of stage `s` runs reporting step `k - s`,
        // so every stage works at once, each a step behind the one before it. A receiver runs a
        // step one phase or more after its senders ran it, so it has every parcel due before
        // the step's end; what it receives early waits in its queue under its key.
        Some(stage) => {
            let mut ends = Vec::new();
            let mut t = SimTime::ZERO;
            while t < horizon {
                t = t.after(step).min(horizon);
                ends.push(t);
            }
            for k in 0..ends.len() + last_stage as usize {
                for (target, &s) in sync.target.iter_mut().zip(stage) {
                    *target = k.checked_sub(s as usize).and_then(|n| ends.get(n).copied());
                }
                sync.phase(&mut parts, &mut info, &mut barrier, is_step);
            }
        }
        // YAWNS: nothing can arrive in another partition before the earliest pending event
        // plus the lookahead, so the window reaches that far (stretches where every partition
        // is idle, such as nights, cost one window).
        None => {
            let mut next_step = SimTime(step.0).min(horizon);
            let mut t = SimTime::ZERO;
            while t < horizon {
                let end = plan.lookahead.map_or(next_step, |l| {
                    let first = parts.iter().filter_map(|p| p.next_time()).min();
                    first.unwrap_or(next_step).max(t).after(l).min(next_step)
                });
                sync.target.iter_mut().for_each(|x| *x = Some(end));
                sync.phase(&mut parts, &mut info, &mut barrier, is_step);
                if end == next_step {
                    next_step = end.after(step).min(horizon);
                }
                t = end;
            }
        }
    }
    info.windows_s = windows.elapsed().as_secs_f64();
    let finish = Instant::now();
    let finished: Vec<(O, PartInfo)> = parts.into_par_iter().map(|p| p.finish(horizon)).collect();
    info.finish_s = finish.elapsed().as_secs_f64();
    let mut out = Vec::with_capacity(finished.len());
    for (o, pi) in finished {
        info.events += pi.events;
        info.peak_people += pi.peak_people;
        info.peak_tubes += pi.peak_tubes;
        info.peak_queue = info.peak_queue.max(pi.peak_queue);
        out.push(o);
    }
    (out, info)
}

/// The state of the synchronisation between partitions, kept from one phase to the next.
struct Barriers {
    /// Each partition's events before the phase.
    before: Vec<u64>,
    /// Each partition's seconds of work in the phase.
    times: Vec<f64>,
    /// One inbox per partition, empty between phases.
    mail: Vec<Vec<Message>>,
    /// The time each partition runs to in the phase; `None`: it waits.
    target: Vec<Option<SimTime>>,
    /// The time each partition has run to.
    clock: Vec<SimTime>,
}

impl Barriers {
    /// One phase: every partition with a target runs to it (in parallel); those that reach a
    /// reporting step take it; the messages sent are delivered; and `barrier` sees every
    /// observer at the time all partitions have reached.
    fn phase<O, B>(
        &mut self,
        parts: &mut [Part<'_, O>],
        info: &mut RunInfo,
        barrier: &mut B,
        is_step: impl Fn(SimTime) -> bool + Sync,
    ) where
        O: Observer + Send,
        B: FnMut(&mut Observers<'_, '_, O>, SimTime),
    {
        let started = Instant::now();
        for (b, p) in self.before.iter_mut().zip(parts.iter()) {
            *b = p.events();
        }
        self.times.iter_mut().for_each(|x| *x = 0.0);
        let target = &self.target;
        for_each_timed(parts, &mut self.times, |i, p| {
            if let Some(end) = target[i] {
                p.run_until(end);
            }
        });
        let working = started.elapsed().as_secs_f64();
        let most = parts
            .iter()
            .zip(&self.before)
            .map(|(p, b)| p.events() - b)
            .max();
        info.windows += 1;
        info.critical_events += most.unwrap_or(0);
        info.work_s += self.times.iter().sum::<f64>();
        info.critical_s += self.times.iter().copied().fold(0.0, f64::max);
        // The step before the messages: a partition's figures at a step are its own state
        // then, whatever parcels are on their way to it.
        for_each(parts, |i, p| {
            if let Some(end) = target[i].filter(|&t| is_step(t)) {
                p.step(end);
            }
        });
        for (c, t) in self.clock.iter_mut().zip(&self.target) {
            *c = t.unwrap_or(*c);
        }
        exchange(parts, &mut self.mail, &self.clock);
        let reached = self.clock.iter().copied().min().unwrap_or(SimTime::ZERO);
        barrier(&mut Observers(parts), reached);
        info.barrier_s += started.elapsed().as_secs_f64() - working;
    }
}

/// Delivers every message sent since the last call (none is due before its receiver's
/// `clock`): sorted to their partitions in the senders' order, then taken in by the partitions
/// in parallel. `mail` holds one inbox per partition, empty between calls.
fn exchange<O: Observer + Send>(
    parts: &mut [Part<'_, O>],
    mail: &mut [Vec<Message>],
    clock: &[SimTime],
) {
    let mut any = false;
    for p in parts.iter_mut() {
        for msg in p.outbox() {
            debug_assert!(
                msg.key.time() >= clock[msg.to as usize],
                "a message arrives too early"
            );
            any = true;
            let to = msg.to as usize;
            mail[to].push(msg);
        }
    }
    if !any {
        return;
    }
    parts
        .par_iter_mut()
        .zip(mail.par_iter_mut())
        .for_each(|(p, inbox)| inbox.drain(..).for_each(|m| p.deliver(m)));
}

/// Runs `f` on every partition and its index: on the current rayon pool when there are several.
fn for_each<O: Observer + Send>(
    parts: &mut [Part<'_, O>],
    f: impl Fn(usize, &mut Part<'_, O>) + Sync + Send,
) {
    if parts.len() == 1 {
        f(0, &mut parts[0]);
    } else {
        parts.par_iter_mut().enumerate().for_each(|(i, p)| f(i, p));
    }
}

/// Like [`for_each`], writing each partition's seconds of work into `times`.
fn for_each_timed<O: Observer + Send>(
    parts: &mut [Part<'_, O>],
    times: &mut [f64],
    f: impl Fn(usize, &mut Part<'_, O>) + Sync + Send,
) {
    let timed = |(i, (p, t)): (usize, (&mut Part<'_, O>, &mut f64))| {
        let started = Instant::now();
        f(i, p);
        *t = started.elapsed().as_secs_f64();
    };
    if parts.len() == 1 {
        timed((0, (&mut parts[0], &mut times[0])));
    } else {
        // One partition per task: rayon would otherwise run stretches of neighbouring partitions as
        // one task, and the labs' partitions (the last ones, and at night the only busy ones)
        // would end up on one thread while the other waits (0.6-0.85 s of the 25.7 M city's
        // windows on two threads; 0.08-0.10 s this way).
        parts
            .par_iter_mut()
            .zip(times.par_iter_mut())
            .enumerate()
            .with_max_len(1)
            .for_each(timed);
    }
}

/// Runs replication `rep` of `model` as one partition, reporting to `obs`.
pub fn simulate<O: Observer + Send>(model: &Model, rep: u32, obs: O) -> (O, RunInfo) {
    // One queue: an observer alone in a run may count on being told everything in time order.
    let plan = Plan::new(model, super::plan::Granularity::OneQueue);
    let cell = std::cell::Cell::new(Some(obs));
    let (mut out, info) = simulate_plan(
        model,
        &plan,
        rep,
        |_| cell.take().expect("one partition takes the observer"),
        |_, _| {},
    );
    (out.remove(0), info)
}

/// The partitions' stages, when no parcel can come back round to a partition that sent one: a
/// partition that receives nothing is in stage 0, any other one stage after the latest of the
/// partitions that send to it (the longest path to it, taken in topological order). `None` when
/// the partitions' links go round in a circle.
fn stages(model: &Model, plan: &Plan) -> Option<Vec<u32>> {
    let n = plan.parts.len();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut senders = vec![0usize; n];
    for (r, route) in model.routes.iter().enumerate() {
        let (from, to) = (
            plan.route[r].part as usize,
            plan.lab[route.lab].part as usize,
        );
        if from != to && !out[from].contains(&to) {
            out[from].push(to);
            senders[to] += 1;
        }
    }
    let mut stage = vec![0u32; n];
    let mut ready: Vec<usize> = (0..n).filter(|&p| senders[p] == 0).collect();
    let mut done = 0;
    while let Some(p) = ready.pop() {
        done += 1;
        for &q in &out[p] {
            stage[q] = stage[q].max(stage[p] + 1);
            senders[q] -= 1;
            if senders[q] == 0 {
                ready.push(q);
            }
        }
    }
    (done == n).then_some(stage)
}
