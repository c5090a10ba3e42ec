//! Integration tests of swabsim: one binary, a module per behaviour.

mod behaviour;
mod bounds;
mod chain;
mod cli;
mod compare;
mod conservation;
mod csvin;
mod determinism;
mod disruptions;
mod docs;
mod errors;
mod exceptions;
mod files;
mod fuzz;
mod home;
mod memory;
mod pages;
mod partitions;
mod plan;
mod scale;
mod scenarios;
mod schema;
mod staff;
mod support;
mod sweep;
mod theory;
