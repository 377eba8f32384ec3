// Copyright © 2026 Tandem authors.
// The primitive behind custom_function / custom_vjp / checkpoint: its inputs are the primals
// followed by the (gradient-stopped) outputs of the wrapped function; evaluating it shares the
// outputs' buffers. Its derivative and batching rules are the user's (or transform `fun`).
#pragma once

#include "tandem/primitive.h"
#include "tandem/transforms.h"

namespace tandem {

class CustomTransforms : public Primitive {
 public:
  CustomTransforms(Stream s, int num_primals, ArrayFn fun, std::optional<CustomVjpFn> vjp,
                   std::optional<CustomJvpFn> jvp, std::optional<CustomVmapFn> vmap)
      : Primitive(s),
        num_primals_(num_primals),
        fun_(std::move(fun)),
        vjp_(std::move(vjp)),
        jvp_(std::move(jvp)),
        vmap_(std::move(vmap)) {}
  void eval_cpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  void eval_gpu(const std::vector<array>& inputs, std::vector<array>& outputs) override;
  std::vector<array> vjp(const std::vector<array>& primals, const std::vector<array>& cotangents,
                         const std::vector<int>& argnums,
                         const std::vector<array>& outputs) override;
  std::vector<array> jvp(const std::vector<array>& primals, const std::vector<array>& tangents,
                         const std::vector<int>& argnums) override;
  std::pair<std::vector<array>, std::vector<int>> vmap(const std::vector<array>& inputs,
                                                       const std::vector<int>& axes) override;
  std::string name() const override { return "CustomTransforms"; }

 private:
  int num_primals_;
  ArrayFn fun_;
  std::optional<CustomVjpFn> vjp_;
  std::optional<CustomJvpFn> jvp_;
  std::optional<CustomVmapFn> vmap_;
};

}  // namespace tandem
