import { describe, expect, it } from 'vitest';
import { maskUrl } from './mask-url.js';

describe('maskUrl', () => {
  it('masks the values of secret-looking query parameters and keeps the rest as written', () => {
    expect(maskUrl('https://api.example.com/v1/users?page=2&api_key=abc123&q=a%20b')).toBe(
      'https://api.example.com/v1/users?page=2&api_key=********&q=a%20b',
    );
  });

  it.each([
    'token',
    'key',
    'apikey',
    'apiKey',
    'api_key',
    'secret',
    'password',
    'signature',
    'sig',
    'access_token',
    'client_secret',
    'refresh_token',
    'X-Amz-Signature',
    'x-api-key',
    'auth',
  ])('masks %s', (name) => {
    expect(maskUrl(`https://h.example/p?${name}=s3cr3t&id=7`)).toBe(`https://h.example/p?${name}=********&id=7`);
  });

  it('leaves ordinary parameters alone', () => {
    const url = 'https://h.example/p?page=1&per_page=50&cursor=abc&since=2024-01-01&sort=id';
    expect(maskUrl(url)).toBe(url);
  });

  it('masks extra names given by the caller, without regard to case', () => {
    expect(maskUrl('https://h.example/p?hapikey=1&appid=2&x=3', ['AppId'])).toBe(
      'https://h.example/p?hapikey=********&appid=********&x=3',
    );
  });

  it('masks the userinfo password, or a lone user name that is probably a token', () => {
    expect(maskUrl('https://alice:hunter2@h.example/p')).toBe('https://alice:********@h.example/p');
    expect(maskUrl('https://sk_live_123@h.example/p')).toBe('https://********@h.example/p');
  });

  it('accepts URL objects, drops the fragment and keeps ports', () => {
    expect(maskUrl(new URL('http://127.0.0.1:8080/x?token=t#frag'))).toBe('http://127.0.0.1:8080/x?token=********');
  });

  it('masks what it can of something that is not a URL, never throwing', () => {
    expect(maskUrl('not a url?token=abc&x=1')).toBe('not a url?token=********&x=1');
    expect(maskUrl('')).toBe('');
  });

  it('masks every occurrence of a repeated parameter and encoded names', () => {
    expect(maskUrl('https://h.example/?key=1&key=2&api%5Fkey=3')).toBe(
      'https://h.example/?key=********&key=********&api%5Fkey=********',
    );
  });
});
