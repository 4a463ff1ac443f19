// Canonical filter terms written by hand, for tests of the vendors' push-down without the
// service's parser.
#ifndef JOBFACADE_TESTS_TESTING_FILTER_TERMS_H_
#define JOBFACADE_TESTS_TESTING_FILTER_TERMS_H_

#include <initializer_list>
#include <string>

#include "adapters/core/list_filter.h"

namespace jobfacade::testing {

// `field = value` (or `tags.KEY = value`), with `op`.
inline FilterTerm TermOf(FilterField field, std::string value, std::string tag_key = "",
                         FilterOp op = FilterOp::kEq) {
  FilterTerm term;
  FilterComparison c;
  c.field = field;
  c.tag_key = std::move(tag_key);
  c.op = op;
  c.value = std::move(value);
  term.any_of.push_back(std::move(c));
  return term;
}

// `state = A OR state = B ...`.
inline FilterTerm StateIn(std::initializer_list<v1::Job::State> states) {
  FilterTerm term;
  for (v1::Job::State state : states) {
    FilterComparison c;
    c.field = FilterField::kState;
    c.op = FilterOp::kEq;
    c.value = v1::Job::State_Name(state);
    c.state = state;
    term.any_of.push_back(std::move(c));
  }
  return term;
}

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_FILTER_TERMS_H_
