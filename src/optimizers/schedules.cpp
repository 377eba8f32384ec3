// Copyright © 2026 Tandem authors.
// Learning-rate schedules (mlx.optimizers.schedulers). A schedule maps the step (a 0-d integer
// array) to a float32 0-d array.
#include <cmath>
#include <numbers>
#include <stdexcept>

#include "tandem/ops.h"
#include "tandem/optimizers.h"

namespace tandem::optimizers {

namespace {
[[noreturn]] void fail(const char* op, const std::string& msg) {
  throw std::invalid_argument(std::string("[") + op + "] " + msg);
}
array as_float(const array& step) {
  return astype(step, float32);
}
}  // namespace

Schedule exponential_decay(float init, float decay_rate) {
  return [=](const array& step) {
    return multiply(array(init), power(array(decay_rate), as_float(step)));
  };
}

Schedule step_decay(float init, float decay_rate, int step_size) {
  if (step_size <= 0)
    fail("step_decay", "step_size must be positive; got " + std::to_string(step_size) + ".");
  return [=](const array& step) {
    array k = floor_divide(astype(step, int64), array(int64_t{step_size}, int64));
    return multiply(array(init), power(array(decay_rate), as_float(k)));
  };
}

Schedule cosine_decay(float init, int decay_steps, float end) {
  if (decay_steps <= 0)
    fail("cosine_decay", "decay_steps must be positive; got " + std::to_string(decay_steps) + ".");
  return [=](const array& step) {
    array s = minimum(as_float(step), array(static_cast<float>(decay_steps)));
    array decay =
        multiply(array(0.5f),
                 add(array(1.0f),
                     cos(multiply(array(static_cast<float>(std::numbers::pi / decay_steps)), s))));
    return add(array(end), multiply(decay, array(init - end)));
  };
}

Schedule linear_schedule(float init, float end, int steps) {
  if (steps < 1)
    fail("linear_schedule", "steps must be greater than 0, but got " + std::to_string(steps) + ".");
  return [=](const array& step) {
    array s = minimum(as_float(step), array(static_cast<float>(steps)));
    return add(multiply(s, array((end - init) / static_cast<float>(steps))), array(init));
  };
}

Schedule join_schedules(std::vector<Schedule> schedules, std::vector<int> boundaries) {
  if (schedules.empty()) fail("join_schedules", "Must provide at least 1 schedule.");
  if (schedules.size() != boundaries.size() + 1)
    fail("join_schedules", "Received " + std::to_string(boundaries.size()) +
                               " boundaries but expected " + std::to_string(schedules.size() - 1) +
                               ".");
  for (auto& s : schedules)
    if (!s) fail("join_schedules", "A schedule is empty.");
  return [schedules = std::move(schedules), boundaries = std::move(boundaries)](const array& step) {
    array s = astype(step, int64);
    array out = astype(schedules[0](s), float32);
    for (size_t i = 0; i < boundaries.size(); ++i) {
      array b(int64_t{boundaries[i]}, int64);
      array later = astype(schedules[i + 1](subtract(s, b)), float32);
      out = where(less(s, b), out, later);
    }
    return out;
  };
}

}  // namespace tandem::optimizers
