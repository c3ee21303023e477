// Pure helpers over a composition, held as an array of { country, operator, method } triples.
import { countryOrder, operatorOrder, methodOrder } from './state.js';

const key = (t) => `${t.country}|${t.operator}|${t.method}`;

export function normalise(triples) {
  const unique = new Map(triples.map((t) => [key(t), { country: t.country, operator: t.operator, method: t.method }]));
  return [...unique.values()].sort((a, b) =>
    countryOrder(a.country) - countryOrder(b.country)
    || operatorOrder(a.country, a.operator) - operatorOrder(b.country, b.operator)
    || methodOrder(a.method) - methodOrder(b.method));
}

/** Groups triples as the API's CompositionCard list: country -> operators -> methods. */
export function toCards(triples) {
  const cards = [];
  for (const t of normalise(triples)) {
    let card = cards.find((c) => c.country === t.country);
    if (!card) cards.push(card = { country: t.country, operators: [] });
    let operator = card.operators.find((o) => o.operator === t.operator);
    if (!operator) card.operators.push(operator = { operator: t.operator, methods: [] });
    operator.methods.push(t.method);
  }
  return cards;
}

export function fromCards(cards) {
  return normalise(cards.flatMap((card) => card.operators.flatMap((o) =>
    o.methods.map((method) => ({ country: card.country, operator: o.operator, method })))));
}

export const countriesOf = (triples) => [...new Set(normalise(triples).map((t) => t.country))];

/** Removes every triple matching the given country, and operator and method when given. */
export function without(triples, { country, operator = null, method = null }) {
  return triples.filter((t) => !(t.country === country
    && (operator === null || t.operator === operator)
    && (method === null || t.method === method)));
}

export function replaceCountry(triples, country, selection) {
  return normalise([...without(triples, { country }), ...selection]);
}
