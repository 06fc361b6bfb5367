// std::visit over a set of lambdas: overloaded{[](const A&) {...}, [](const B&) {...}}.
#pragma once

namespace nsplan {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace nsplan
