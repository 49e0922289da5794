/*
 * captcha_draw.c: renders the captcha text (see captcha_draw.h).
 *
 * Each glyph is drawn by inverse mapping: for every output pixel near the
 * glyph we undo the wave, the rotation, the shear and the scale, and look
 * up the font bit there. No libm: sin/cos come from a short Taylor series
 * on a reduced argument, which is ample for drawing.
 */
#include <config.h>

#include <string.h>

#include "captcha_draw.h"

#define W      KC_CAPTCHA_DRAW_W
#define H      KC_CAPTCHA_DRAW_H
#define FONT_W 5
#define FONT_H 7
/* Left and right margin of the text line. */
#define MARGIN 12
#define PI     3.14159265358979323846
/* Squared radius of an ink disc, in cells: above 0.5 (diagonals join). */
#define INK_RADIUS2 0.56

struct glyph {
  char c;
  const char *rows[FONT_H];
};

/* Our 5x7 font, only the alphabet's characters; '#' is ink. */
static const struct glyph font[] = {
  {'A', {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}},
  {'C', {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."}},
  {'D', {"####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####."}},
  {'E', {"#####", "#....", "#....", "####.", "#....", "#....", "#####"}},
  {'F', {"#####", "#....", "#....", "####.", "#....", "#....", "#...."}},
  {'G', {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"}},
  {'H', {"#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}},
  {'J', {"..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.."}},
  {'K', {"#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#"}},
  {'M', {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"}},
  {'N', {"#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#"}},
  {'P', {"####.", "#...#", "#...#", "####.", "#....", "#....", "#...."}},
  {'R', {"####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"}},
  {'T', {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."}},
  {'U', {"#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."}},
  {'W', {"#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#."}},
  {'X', {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"}},
  {'Y', {"#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.."}},
  {'2', {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"}},
  {'3', {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."}},
  {'4', {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."}},
  {'5', {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."}},
  {'7', {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."}},
  {'8', {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."}},
  {'9', {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."}},
};

/* splitmix64: small, fast and good enough to place noise and tilt
 * glyphs; the secret is the text, which does not come from here. */
struct rng {
  uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static double
rng_real(struct rng *r, double lo, double hi)
{
  return lo + (hi - lo) * ((double) (rng_next(r) >> 11) / 9007199254740992.0);
}

/* Uniform in [lo, hi]; hi - lo is small. */
static int
rng_int(struct rng *r, int lo, int hi)
{
  return lo + (int) (rng_next(r) % (uint64_t) (hi - lo + 1));
}

static double
floor_d(double x)
{
  double t = (double) (long) x;

  return t > x ? t - 1.0 : t;
}

/* sin on any argument: reduce to [-pi/2, pi/2], then Taylor to x^9. */
static double
sin_d(double x)
{
  double x2;

  x -= 2.0 * PI * floor_d((x + PI) / (2.0 * PI));
  if (x > PI / 2)
    x = PI - x;
  else if (x < -PI / 2)
    x = -PI - x;
  x2 = x * x;
  return x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))));
}

static double
cos_d(double x)
{
  return sin_d(x + PI / 2);
}

static const struct glyph *
glyph_of(char c)
{
  size_t i;

  for (i = 0; i < sizeof(font) / sizeof(font[0]); i++)
    if (font[i].c == c)
      return &font[i];
  return NULL;
}

bool
kc_captcha_draw_has_glyph(char c)
{
  return c != '\0' && glyph_of(c) != NULL;
}

/* How one glyph is placed. */
struct place {
  double cx, cy;   /* centre in the picture */
  double sx, sy;   /* pixels per font cell */
  double isx, isy; /* their inverses: multiplying is cheaper */
  double cs, sn;   /* cos and sin of the tilt */
  double shear;    /* x shift per unit of y, before the tilt */
  int ink;         /* gray value of the strokes */
};

/* The line bends as one: vertical displacement at column x. */
struct wave {
  double amp, freq, phase;
};

static double
wave_at(const struct wave *wv, double x)
{
  return wv->amp * sin_d(x * wv->freq + wv->phase);
}

/* Is font cell (col, row) of g ink? Outside the grid is paper. */
static bool
cell_ink(const struct glyph *g, int col, int row)
{
  return col >= 0 && row >= 0 && col < FONT_W && row < FONT_H &&
         g->rows[row][col] == '#';
}

/* Font coordinates (in cells, 0..FONT_W x 0..FONT_H) of the picture
 * point (x, y) for glyph pl: undo the tilt, the shear and the scale. */
static void
font_coords(const struct place *pl, double x, double y, double *fu, double *fv)
{
  double dx = x - pl->cx, dy = y - pl->cy;
  double u = pl->cs * dx + pl->sn * dy, v = -pl->sn * dx + pl->cs * dy;

  u -= pl->shear * v;
  *fu = u * pl->isx + FONT_W / 2.0;
  *fv = v * pl->isy + FONT_H / 2.0;
}

/* Can the pixel around (x, y) touch glyph pl at all? Ink reaches 0.25
 * cells past the grid; a pixel and the bend add well under one cell. */
static bool
near_glyph(const struct place *pl, double x, double y)
{
  double fu, fv;

  font_coords(pl, x, y, &fu, &fv);
  return fu > -1.25 && fv > -1.25 && fu < FONT_W + 1.25 && fv < FONT_H + 1.25;
}

/* Is the picture point (x, y) on a stroke of g placed at pl? Each ink
 * cell is a disc a little wider than the cell, so strokes come out round
 * and diagonal neighbours join. */
static bool
ink_at(const struct glyph *g, const struct place *pl, double x, double y)
{
  double fu, fv, du, dv;
  int col, row, i, j;

  font_coords(pl, x, y, &fu, &fv);
  if (fu < -1 || fv < -1 || fu >= FONT_W + 1 || fv >= FONT_H + 1)
    return false;
  /* floor(f - 0.5) by truncation: f + 1.5 >= 0.5 here */
  col = (int) (fu + 1.5) - 2;
  row = (int) (fv + 1.5) - 2;
  for (i = 0; i < 2; i++)
    for (j = 0; j < 2; j++) {
      if (!cell_ink(g, col + i, row + j))
        continue;
      du = fu - (col + i + 0.5);
      dv = fv - (row + j + 0.5);
      if (du * du + dv * dv < INK_RADIUS2)
        return true;
    }
  return false;
}

static void
blend(unsigned char *px, int ink, int cover)
{
  *px = (unsigned char) ((*px * (4 - cover) + ink * cover) / 4);
}

/* How far from its centre glyph pl can reach, in pixels: the corner of
 * the sheared font box (discs reach 0.75 cells past the outer centres). */
static int
glyph_reach(const struct place *pl)
{
  double v = (FONT_H / 2.0 + 0.25) * pl->sy;
  double u = (FONT_W / 2.0 + 0.25) * pl->sx +
             (pl->shear < 0 ? -pl->shear : pl->shear) * v;
  double r2 = u * u + v * v;
  int r = 0;

  while ((double) r * r < r2)
    r++;
  return r + 1;
}

/* Draw g with 2x2 supersampling, only in the box where it can reach.
 * bend[2 * x + i] is the line's vertical shift at sub-column i of x. */
static void
draw_glyph(unsigned char *pix, const struct glyph *g, const struct place *pl,
           const double *bend, int bend_max)
{
  static const double sub[2] = {0.25, 0.75};
  int reach = glyph_reach(pl), x, y, i, j, cover;

  for (y = (int) pl->cy - reach - bend_max;
       y <= (int) pl->cy + reach + bend_max; y++) {
    if (y < 0 || y >= H)
      continue;
    for (x = (int) pl->cx - reach; x <= (int) pl->cx + reach; x++) {
      if (x < 0 || x >= W || !near_glyph(pl, x + 0.5, y + 0.5 - bend[2 * x]))
        continue;
      cover = 0;
      for (i = 0; i < 2; i++)
        for (j = 0; j < 2; j++)
          cover += ink_at(g, pl, x + sub[i], y + sub[j] - bend[2 * x + i]);
      if (cover > 0)
        blend(&pix[y * W + x], pl->ink, cover);
    }
  }
}

/* Size, tilt and place of glyph i of n, each with its own randomness. */
static void
place_glyph(struct rng *r, int i, int n, struct place *pl)
{
  double pitch = (double) (W - 2 * MARGIN) / n, angle;

  angle = rng_real(r, -0.3, 0.3);
  pl->cs = cos_d(angle);
  pl->sn = sin_d(angle);
  pl->sx = rng_real(r, 4.2, 5.2);
  pl->sy = rng_real(r, 5.4, 6.4);
  pl->isx = 1 / pl->sx;
  pl->isy = 1 / pl->sy;
  pl->shear = rng_real(r, -0.2, 0.2);
  pl->cx = MARGIN + pitch * (i + 0.5) + rng_real(r, -3, 3);
  pl->cy = H / 2.0 + rng_real(r, -5, 5);
  pl->ink = rng_int(r, 0, 60);
}

static void
plot(unsigned char *pix, int x, int y, int gray)
{
  if (x >= 0 && x < W && y >= 0 && y < H)
    pix[y * W + x] = (unsigned char) gray;
}

/* A straight line (Bresenham), thick pixels doubled downwards. */
static void
line(unsigned char *pix, int x0, int y0, int x1, int y1, int gray, int thick)
{
  int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
  int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
  int err = dx + dy, e2, t;

  for (;;) {
    for (t = 0; t < thick; t++)
      plot(pix, x0, y0 + t, gray);
    if (x0 == x1 && y0 == y1)
      break;
    e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/* Light speckled background and faint lines behind the text. */
static void
draw_background(unsigned char *pix, struct rng *r)
{
  int i;

  for (i = 0; i < W * H; i++)
    pix[i] = (unsigned char) rng_int(r, 222, 255);
  for (i = 0; i < 4; i++)
    line(pix, rng_int(r, 0, W - 1), rng_int(r, 0, H - 1), rng_int(r, 0, W - 1),
         rng_int(r, 0, H - 1), rng_int(r, 150, 200), 1);
}

/* A wavy stroke through the text band, as thick as a thin glyph stroke. */
static void
draw_curve(unsigned char *pix, struct rng *r)
{
  struct wave wv = {rng_real(r, 6, 12), rng_real(r, 0.03, 0.07),
                    rng_real(r, 0, 2 * PI)};
  double y0 = H / 2.0 + rng_real(r, -8, 8);
  int x, gray = rng_int(r, 30, 100), y, prev = -1;

  for (x = 0; x < W; x++) {
    y = (int) (y0 + wave_at(&wv, x));
    if (prev >= 0)
      line(pix, x - 1, prev, x, y, gray, 2);
    prev = y;
  }
}

/* Crossing lines, dark dots and white holes over the text. */
static void
draw_noise(unsigned char *pix, struct rng *r)
{
  int i;

  draw_curve(pix, r);
  for (i = 0; i < 2; i++)
    line(pix, 0, rng_int(r, 10, H - 10), W - 1, rng_int(r, 10, H - 10),
         rng_int(r, 60, 140), 1);
  for (i = 0; i < 300; i++)
    plot(pix, rng_int(r, 0, W - 1), rng_int(r, 0, H - 1), rng_int(r, 0, 140));
  for (i = 0; i < 120; i++)
    plot(pix, rng_int(r, 0, W - 1), rng_int(r, 8, H - 9), 255);
}

void
kc_captcha_draw(unsigned char *pix, const char *text, uint64_t seed)
{
  struct rng r = {seed};
  double bend[2 * W];
  struct wave wv;
  struct place pl;
  const struct glyph *g;
  int i, n = (int) strnlen(text, KC_CAPTCHA_DRAW_MAX_TEXT);

  draw_background(pix, &r);
  wv.amp = rng_real(&r, 2, 4);
  wv.freq = 2 * PI / rng_real(&r, 70, 120);
  wv.phase = rng_real(&r, 0, 2 * PI);
  for (i = 0; i < 2 * W; i++)
    bend[i] = wave_at(&wv, i / 2 + (i % 2 ? 0.75 : 0.25));
  for (i = 0; i < n; i++) {
    place_glyph(&r, i, n, &pl);
    if ((g = glyph_of(text[i])) != NULL)
      draw_glyph(pix, g, &pl, bend, (int) wv.amp + 1);
  }
  draw_noise(pix, &r);
}
