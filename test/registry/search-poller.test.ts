import { describe, expect, it } from 'vitest';
import { backoff, intervalJitter } from '../../src/registry/poller.ts';
import { SearchIndex, tokenize, type SearchDoc } from '../../src/registry/search.ts';

const doc = (exposed: string, title?: string, description?: string): SearchDoc => ({
  exposed,
  upstream: exposed.split('.')[0],
  name: exposed.split('.').slice(1).join('.'),
  title,
  description,
  scope: 's',
  destructive: false,
  status: 'ok',
});

describe('search index', () => {
  it('tokenizes camelCase, snake_case and kebab-case alike', () => {
    expect(tokenize('createTicket')).toEqual(['create', 'ticket']);
    expect(tokenize('create_ticket-now.v2')).toEqual(['create', 'ticket', 'now', 'v2']);
  });

  it('ranks name over title over description, prefixes below exact, all tokens first', () => {
    const ix = new SearchIndex();
    ix.build([
      doc('a.send_mail', undefined, 'delivers a message'),
      doc('b.notify', 'Mail sender'),
      doc('c.archive', undefined, 'moves mail to the archive'),
      doc('d.mailbox_list'),
      doc('e.other', undefined, 'nothing relevant'),
    ]);
    expect(ix.search('mail').hits.map((h) => h.exposed)).toEqual([
      'a.send_mail',
      'd.mailbox_list',
      'b.notify',
      'c.archive',
    ]);
    expect(ix.search('send mail').hits[0].exposed).toBe('a.send_mail');
    expect(ix.search('other').hits[0]).toMatchObject({ exposed: 'e.other', score: 28 });
    expect(ix.search('zzz')).toEqual({ total: 0, hits: [] });
    expect(ix.search('', 2).hits.map((h) => h.exposed)).toEqual(['a.send_mail', 'b.notify']);
    expect(ix.search('mail', 1).hits).toHaveLength(1);
  });
});

describe('poll timing', () => {
  it('jitters the interval by ±20 % and backs off exponentially with equal jitter', () => {
    expect(intervalJitter(1000, 0)).toBe(800);
    expect(intervalJitter(1000, 1)).toBeCloseTo(1200);
    expect(backoff(1, 100, 10_000, 0)).toBe(50);
    expect(backoff(1, 100, 10_000, 1)).toBe(100);
    expect(backoff(4, 100, 10_000, 1)).toBe(800);
    expect(backoff(30, 100, 10_000, 1)).toBe(10_000);
  });
});
